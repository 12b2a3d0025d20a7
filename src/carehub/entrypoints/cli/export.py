"""`carehub export fhir`: the Bulk Data export in this process, into a folder.

The same steps the `fhir-export` consumer runs (`carehub.fhir.export.content`), read as the
operator, each step's lines appended to `{Type}-{n}.ndjson` in the folder (a new file every
10,000 resources). The files hold health data: the folder and files are the account's own
(0700, 0600), and the folder must hold no export already.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from carehub.adapters.files.private import FILE_MODE, make_private_folder
from carehub.config import Settings
from carehub.entrypoints.cli.database import opened
from carehub.fhir.export.content import Slice
from carehub.fhir.export.job import MAX_LINES_PER_FILE, Position
from carehub.fhir.export.request import ExportRequest, Level
from carehub.kernel.actor import Actor
from carehub.kernel.errors import CarehubError

export_app = typer.Typer(help="Exports of carehub's records.", no_args_is_help=True)
console = Console(stderr=True)


class NdjsonFolder:
    """NDJSON files in a folder, one series a resource type, each file up to a limit."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._files: dict[str, tuple[int, int]] = {}  # type -> (its last file, lines in it)
        self.written: dict[str, int] = {}  # file name -> lines

    def add(self, piece: Slice) -> None:
        for resource_type, lines in piece.by_type():
            for line in lines:
                self._append(resource_type, line)

    def _append(self, resource_type: str, line: bytes) -> None:
        number, count = self._files.get(resource_type, (0, MAX_LINES_PER_FILE))
        if count >= MAX_LINES_PER_FILE:
            number, count = number + 1, 0
        name = f"{resource_type}-{number}.ndjson"
        fd = os.open(self._folder / name, os.O_CREAT | os.O_WRONLY | os.O_APPEND, FILE_MODE)
        with os.fdopen(fd, "ab") as out:
            out.write(line + b"\n")
        self._files[resource_type] = (number, count + 1)
        self.written[name] = count + 1


@export_app.command("fhir")
def export_fhir(
    out: Annotated[Path, typer.Option(help="The folder the NDJSON files are written to.")],
    group: Annotated[
        str | None, typer.Option(help="Only this country's patients (a Group's id).")
    ] = None,
    types: Annotated[
        list[str] | None,
        typer.Option("--type", help="Only these resource types (repeat, or comma-separated)."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only resources changed after this instant.")
    ] = None,
) -> None:
    """Export every patient (or one country's) as FHIR R4 NDJSON files, with the countries
    and their doctors, as `GET /fhir/R4/$export` does."""
    level = Level.SYSTEM if group is None else Level.GROUP
    try:
        request = ExportRequest.of(
            level, group=group, types=",".join(types) if types else None, since=since
        )
    except CarehubError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from exc
    if out.exists() and any(out.glob("*.ndjson")):
        console.print(f"[red]{out} already holds NDJSON files: choose an empty folder[/red]")
        raise typer.Exit(1)
    make_private_folder(out)
    files = NdjsonFolder(out)
    asyncio.run(_export(request, files))
    for name, count in files.written.items():
        console.print(f"{name}: {count} resources")
    console.print(f"exported {sum(files.written.values())} resources to {out}")


async def _export(request: ExportRequest, files: NdjsonFolder) -> None:
    operator = Actor.system("fhir-export")
    columns = (TextColumn("patients"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    async with opened(Settings()) as carehub:
        exporter = carehub.fhir_exports.exporter
        position = Position()
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("patients", total=None)
            try:
                if request.group is not None:  # a Group is a country carehub has
                    country = await carehub.countries.get(country_id=request.group)
                    request = replace(request, group=country.id)
                while not position.finished:
                    piece = await exporter.step(operator, request, position)
                    files.add(piece)
                    position = piece.position
                    progress.update(task, completed=position.patients)
            except CarehubError as exc:
                console.print(f"[red]{exc.detail}[/red]")
                raise typer.Exit(1) from exc
            progress.update(task, total=position.patients)  # a full bar at the end
