"""`make bench-documents`: the documents domain's work measured on this machine.

  image variants  both derived variants of an upload (optimized 1600 px and thumb 320 px,
                  JPEG quality 80) from a 4-megapixel phone photo (2448x1632, quality 90,
                  EXIF orientation 6 and GPS), one image after another on one thread and
                  on a pool of 2 threads (Pillow lets go of the GIL while it decodes,
                  resizes and encodes); then the same without libjpeg's reduced-scale
                  decoding (`draft`), to show what it saves
  presign         POST /patients/{id}/files/presign-upload over HTTP at 16 clients (each
                  a pending file, its audit entry and a signed form) on SQLite with the
                  embedded folder store, beside GET /patients/{id} on the same server as
                  the reference for the ratio

Environment:
  CAREHUB_BENCH_DOCUMENTS_SECONDS  measured seconds per run (10)
"""

from __future__ import annotations

import io
import json
import os
import statistics
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from PIL import Image, ImageDraw, ImageFilter
from rich.console import Console
from rich.table import Table

from bench.loadgen import Load, Request, Scenario, run
from bench.report import run_environment, write_json
from bench.scenarios import auth_headers
from bench.server import carehub_server
from carehub.adapters.images.pillow import PillowImages
from carehub.documents.model import DERIVED

PHOTO_SIZE = (2448, 1632)
PHOTO_QUALITY = 90


@dataclass(frozen=True)
class DocumentsConfig:
    """The run's settings, from CAREHUB_BENCH_* variables."""

    seconds: float

    @classmethod
    def from_env(cls) -> DocumentsConfig:
        return cls(seconds=float(os.environ.get("CAREHUB_BENCH_DOCUMENTS_SECONDS", "10")))


@dataclass(frozen=True)
class VariantRun:
    """Images turned into both derived variants for `seconds`, `threads` at a time."""

    decoding: str  # "draft" (reduced-scale JPEG decoding) or "full"
    threads: int
    images: int
    seconds: float
    images_per_s: float
    variants_per_s: float
    p50_ms: float  # per image: both variants
    p95_ms: float
    optimized_p50_ms: float  # each variant alone, where `draft` helps the thumb only
    thumb_p50_ms: float
    optimized_bytes: int
    thumb_bytes: int


# A section measures one thing, prints its table and returns its part of the JSON file.
Section = Callable[[DocumentsConfig, Console], dict[str, Any]]


def main() -> None:
    config = DocumentsConfig.from_env()
    console = Console(width=max(Console().width, 140))  # the table needs the room
    environment = run_environment()
    if environment["load_average_1_5_15"][0] > 0.5:
        console.print("[yellow]the machine is busy with something else: figures will suffer")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    sections: list[tuple[str, Section]] = [
        ("image_variants", image_variants),
        ("presign_requests", presign_requests),
    ]
    payload: dict[str, Any] = {
        "bench": "documents",
        "started_at": stamp,
        "config": asdict(config),
        "environment": environment,
    }
    for name, section in sections:
        payload[name] = section(config, console)
    console.print(f"saved {write_json('documents', stamp, payload)}")


# --- image variants ----------------------------------------------------------------------


def image_variants(config: DocumentsConfig, console: Console) -> dict[str, Any]:
    """Both variants per image, on 1 and 2 threads, with and without `draft`."""
    photo = phone_photo()
    console.print(
        f"image variants: a {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} JPEG of {len(photo):,} bytes, "
        f"{config.seconds:g} s per run"
    )
    runs: list[VariantRun] = []
    for decoding, images in (("draft", PillowImages()), ("full", PillowImages(draft=False))):
        for threads in (1, 2):
            runs.append(derive_for(images, photo, decoding, threads, config.seconds))
            r = runs[-1]
            console.print(
                f"  {decoding} × {threads}: {r.images_per_s:.2f} images/s, p95 {r.p95_ms:.0f} ms"
            )
    table = Table(title="image variants (optimized 1600 px + thumb 320 px per image)")
    columns = ("decoding", "threads", "images", "images/s", "variants/s", "p50 ms", "p95 ms")
    for column in (*columns, "1600 px ms", "320 px ms", "1600 px KB", "320 px KB"):
        table.add_column(column, justify="left" if column == "decoding" else "right")
    for r in runs:
        table.add_row(
            r.decoding,
            str(r.threads),
            str(r.images),
            f"{r.images_per_s:.2f}",
            f"{r.variants_per_s:.2f}",
            f"{r.p50_ms:.0f}",
            f"{r.p95_ms:.0f}",
            f"{r.optimized_p50_ms:.0f}",
            f"{r.thumb_p50_ms:.0f}",
            f"{r.optimized_bytes / 1024:.0f}",
            f"{r.thumb_bytes / 1024:.1f}",
        )
    console.print(table)
    at = {(r.decoding, r.threads): r.images_per_s for r in runs}
    speed_up = {f"{t} threads": round(at["draft", t] / at["full", t], 2) for t in (1, 2)}
    console.print(f"  draft speed-up: {speed_up}")
    return {
        "photo": {"width": PHOTO_SIZE[0], "height": PHOTO_SIZE[1], "bytes": len(photo)},
        "variants": [asdict(spec) for spec in DERIVED],
        "runs": [asdict(r) for r in runs],
        "draft_speed_up": speed_up,
    }


def derive_for(
    images: PillowImages, photo: bytes, decoding: str, threads: int, seconds: float
) -> VariantRun:
    """Derive both variants of `photo` again and again for `seconds`, `threads` at once."""

    def both() -> tuple[list[float], list[bytes]]:
        took, outs = [], []
        for spec in DERIVED:
            started = time.perf_counter()
            outs.append(images.derive(photo, max_width=spec.max_width, quality=spec.quality))
            took.append(time.perf_counter() - started)
        return took, outs

    both()  # warm-up: libraries loaded, caches filled
    per_variant: list[list[float]] = []
    outs: list[bytes] = []
    with ThreadPoolExecutor(max_workers=threads) as pool:
        started = time.perf_counter()
        deadline = started + seconds
        running: list[Future[tuple[list[float], list[bytes]]]] = [
            pool.submit(both) for _ in range(threads)
        ]
        while running:
            took, outs = running.pop(0).result()
            per_variant.append(took)
            if time.perf_counter() < deadline:
                running.append(pool.submit(both))
        elapsed = time.perf_counter() - started
    durations = sorted(sum(took) for took in per_variant)
    return VariantRun(
        decoding=decoding,
        threads=threads,
        images=len(durations),
        seconds=round(elapsed, 2),
        images_per_s=round(len(durations) / elapsed, 2),
        variants_per_s=round(len(durations) * len(DERIVED) / elapsed, 2),
        p50_ms=round(statistics.median(durations) * 1000, 1),
        p95_ms=round(durations[min(len(durations) - 1, int(0.95 * len(durations)))] * 1000, 1),
        optimized_p50_ms=round(statistics.median(t[0] for t in per_variant) * 1000, 1),
        thumb_p50_ms=round(statistics.median(t[1] for t in per_variant) * 1000, 1),
        optimized_bytes=len(outs[0]),
        thumb_bytes=len(outs[1]),
    )


def phone_photo() -> bytes:
    """A photo-like JPEG: smooth light, shapes with soft edges and sensor noise, carrying
    the EXIF a phone writes (orientation, camera, time, GPS)."""
    width, height = PHOTO_SIZE
    light = Image.radial_gradient("L").resize((width, height))
    sky = Image.linear_gradient("L").resize((width, height))
    scene = Image.merge("RGB", (light, sky, Image.eval(light, lambda v: 255 - v)))
    draw = ImageDraw.Draw(scene)
    for n in range(40):
        x, y = (n * 397) % width, (n * 211) % height
        r = 40 + (n * 37) % 260
        fill = ((n * 53) % 256, (n * 97) % 256, (n * 151) % 256)
        draw.ellipse((x - r, y - r // 2, x + r, y + r // 2), fill=fill)
    scene = scene.filter(ImageFilter.GaussianBlur(3))
    noise = Image.effect_noise((width, height), 24).convert("RGB")
    scene = Image.blend(scene, noise, 0.12)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: taken upright, stored sideways
    exif[0x010F] = "BenchPhone"  # Make
    exif[0x0110] = "BenchPhone 12"  # Model
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    out = io.BytesIO()
    scene.save(out, "JPEG", quality=PHOTO_QUALITY, exif=exif)
    return out.getvalue()


# --- presign requests over HTTP -----------------------------------------------------------

PRESIGN_CLIENTS = 16
PRESIGN_BODY = {
    "filename": "hemograma.pdf",
    "mimeType": "application/pdf",
    "kind": "doc",
    "docType": "lab",
}


def presign_requests(config: DocumentsConfig, console: Console) -> dict[str, Any]:
    """Presign requests/s at 16 clients, and reads of the patient as the reference."""
    results: dict[str, Any] = {"clients": PRESIGN_CLIENTS}
    with carehub_server(None, 200) as server, ProcessPoolExecutor(1) as pool:
        headers = auth_headers(server.base_url)
        patient = httpx.post(
            f"{server.base_url}/patients",
            json={"name": "Bench Patient", "countryId": "PE"},
            headers=headers,
        )
        patient.raise_for_status()
        patient_id = patient.json()["id"]
        extra = (*headers.items(), ("Content-Type", "application/json"))
        scenarios = [
            Scenario(
                "presign",
                (
                    Request(
                        "POST",
                        f"/patients/{patient_id}/files/presign-upload",
                        extra,
                        json.dumps(PRESIGN_BODY).encode(),
                    ),
                ),
            ),
            Scenario("read_patient", (Request("GET", f"/patients/{patient_id}", extra),)),
        ]
        for scenario in scenarios:
            load = Load(
                server.host,
                server.port,
                PRESIGN_CLIENTS,
                config.seconds,
                warmup=2.0,
                run_id=uuid.uuid4().hex[:8],
            )
            outcome = pool.submit(run, load, scenario).result()
            results[scenario.name] = asdict(outcome)
    presign, read = results["presign"], results["read_patient"]
    results["presign_over_read"] = presign["rps"] / read["rps"] if read["rps"] else 0.0
    table = Table(title=f"presign over HTTP, SQLite, {PRESIGN_CLIENTS} clients")
    for column in ("route", "req/s", "p50 ms", "p95 ms", "p99 ms", "non-2xx"):
        table.add_column(column, justify="right" if column != "route" else "left")
    for name in ("presign", "read_patient"):
        row = results[name]
        failed = sum(n for status, n in row["statuses"].items() if not 200 <= int(status) < 300)
        table.add_row(
            name,
            f"{row['rps']:.0f}",
            f"{row['p50_ms']:.1f}",
            f"{row['p95_ms']:.1f}",
            f"{row['p99_ms']:.1f}",
            str(failed),
        )
    console.print(table)
    console.print(f"presign / read: {results['presign_over_read']:.2f}")
    return results


if __name__ == "__main__":
    main()
