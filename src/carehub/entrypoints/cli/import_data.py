"""`carehub import fhir PATH...`: FHIR R4 transaction and batch Bundles (Synthea's output
among them) taken in through carehub's own use cases, with a progress bar of the resources
processed, then a table of what became of them per resource type."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from carehub.bootstrap import Carehub
from carehub.config import Settings
from carehub.entrypoints.cli.database import opened
from carehub.fhir.import_report import EntryOutcome, count_outcomes
from carehub.kernel.actor import Actor
from carehub.kernel.errors import CarehubError

import_app = typer.Typer(help="Records from other systems.", no_args_is_help=True)
console = Console(stderr=True)
# Synthea writes the bundles other bundles refer to (by conditional references) apart:
# hospitals (Organization, Location) first, then practitioners, then the patients.
_FIRST = ("hospitalInformation", "practitionerInformation")


@dataclass
class ImportRun:
    """What one run of the command did, bundle by bundle."""

    outcomes: list[EntryOutcome] = field(default_factory=list)
    failed_files: list[tuple[Path, str]] = field(default_factory=list)
    files: int = 0
    resources: int = 0
    seconds: float = 0.0


@import_app.command("fhir")
def import_fhir(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Bundle files, or folders of them (*.json).", exists=True),
    ],
    country: Annotated[
        str | None,
        typer.Option(help="The id of the country every record goes to (else its address's)."),
    ] = None,
    not_kept: Annotated[
        bool, typer.Option(help="Also list the elements given that carehub does not keep.")
    ] = False,
) -> None:
    """Import FHIR R4 transaction and batch Bundles; Synthea's hospitalInformation and
    practitionerInformation bundles go first."""
    files = bundle_files(paths)
    if not files:
        console.print("no *.json files to import")
        raise typer.Exit(1)
    run = asyncio.run(_import(files, country))
    print_report(run, not_kept=not_kept)
    if run.failed_files or any(o.error is not None for o in run.outcomes):
        raise typer.Exit(1)


def bundle_files(paths: Iterable[Path]) -> list[Path]:
    """The files to import, information bundles first, then by name."""
    found: set[Path] = set()
    for path in paths:
        found.update(path.glob("*.json") if path.is_dir() else [path])

    def order(path: Path) -> tuple[int, str]:
        first = [path.name.startswith(prefix) for prefix in _FIRST]
        return (first.index(True) if any(first) else len(_FIRST), path.name)

    return sorted(found, key=order)


async def _import(files: list[Path], country: str | None) -> ImportRun:
    async with opened(Settings()) as carehub:
        return await import_files(carehub, files, country)


async def import_files(carehub: Carehub, files: list[Path], country: str | None) -> ImportRun:
    """Import each file in turn with a progress bar; a file that fails is named with its
    error and the next one goes on."""
    actor = Actor.system("fhir-import")
    run = ImportRun()
    totals = {path: _entry_count(path) for path in files}
    columns = (TextColumn("resources"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    started = time.perf_counter()
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("resources", total=sum(totals.values()))
        for path in files:
            done_before = progress.tasks[0].completed
            try:
                bundle = orjson.loads(path.read_bytes())
                report = await carehub.fhir_import.import_bundle(
                    bundle,
                    actor=actor,
                    country_id=country,
                    progress=lambda n: progress.advance(task, n),
                )
            except orjson.JSONDecodeError:
                run.failed_files.append((path, "not a JSON document"))
            except CarehubError as exc:
                run.failed_files.append((path, _described(exc)))
            else:
                run.outcomes += report.entries
            # A file that failed as a whole counts as processed.
            progress.update(task, completed=done_before + totals[path])
            run.resources += totals[path]
            run.files += 1
    run.seconds = time.perf_counter() - started
    return run


def print_report(run: ImportRun, *, not_kept: bool = False) -> None:
    """The counts per resource type, the reasons for what was skipped, the elements not
    kept (when asked) and the files that failed, on standard output."""
    out = Console()
    counts = count_outcomes(run.outcomes)
    table = Table(title="FHIR import")
    table.add_column("resource type", no_wrap=True)
    for column in ("imported", "already present", "linked", "skipped", "failed"):
        table.add_column(column, justify="right")
    for resource_type, c in counts.items():
        numbers = (c.imported, c.present, c.linked, c.skipped_total, c.failed)
        table.add_row(resource_type, *(str(n) for n in numbers))
    out.print(table)
    reasons = Table(title="Skipped, and why")
    reasons.add_column("resource type", no_wrap=True)
    reasons.add_column("reason")
    reasons.add_column("count", justify="right")
    for resource_type, c in counts.items():
        for reason, count in sorted(c.skipped.items()):
            reasons.add_row(resource_type, reason, str(count))
    if reasons.row_count:
        out.print(reasons)
    if not_kept:
        out.print(_not_kept_table(run.outcomes))
    for outcome in run.outcomes:
        if outcome.error is not None:
            out.print(f"[red]failed: {outcome.resource_type} at entry {outcome.index}[/red]")
            out.print(f"  {_described(outcome.error)}", markup=False)
    for path, problem in run.failed_files:
        out.print(f"[red]failed: {path.name}[/red]")
        out.print(f"  {problem}", markup=False)
    patients = counts.get("Patient")
    imported = 0 if patients is None else patients.imported
    present = 0 if patients is None else patients.present
    out.print(f"{imported} patients imported, {present} already present")
    rate = run.resources / run.seconds if run.seconds else 0.0
    out.print(
        f"{run.resources} resources from {run.files} files in {run.seconds:.1f} s "
        f"({rate:,.0f} resources/s)"
    )


def _not_kept_table(outcomes: list[EntryOutcome]) -> Table:
    """How often each element was given and not kept (information, not an error)."""
    counted = Counter(f"{o.resource_type}.{name}" for o in outcomes for name in o.not_kept)
    table = Table(title="Given but not kept")
    table.add_column("element")
    table.add_column("count", justify="right")
    for name, count in sorted(counted.items()):
        table.add_row(name, str(count))
    return table


def _entry_count(path: Path) -> int:
    """How many entries a file holds, for the progress bar (0 if it is not a bundle)."""
    try:
        bundle = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError:
        return 0
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    return len(entries) if isinstance(entries, list) else 0


def _described(error: CarehubError) -> str:
    fields = "; ".join(f"{e.field}: {e.message}" for e in error.errors)
    return f"{error.detail}" + (f" ({fields})" if fields else "")
