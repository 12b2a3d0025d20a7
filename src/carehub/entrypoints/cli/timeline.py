"""`carehub timeline`: rebuild the patient timeline from the journal of its events."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from carehub.config import Settings
from carehub.entrypoints.cli.database import opened
from carehub.kernel.actor import Actor

timeline_app = typer.Typer(help="The patient timeline.", no_args_is_help=True)
console = Console(stderr=True)


@timeline_app.command("rebuild")
def rebuild(
    patient: Annotated[
        str | None, typer.Option(help="Only this patient's timeline (default: everyone's).")
    ] = None,
) -> None:
    """Empty the timeline (one patient's or everyone's) and replay the events it was fed.
    Everyone's on DynamoDB scans the whole table: a maintenance step (docs/dynamodb.md)."""
    rebuilt = asyncio.run(_rebuild(patient))
    whose = f"patient {patient}" if patient else "every patient"
    console.print(f"rebuilt {rebuilt} timeline entries of {whose}")


async def _rebuild(patient_id: str | None) -> int:
    columns = (TextColumn("events"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    async with opened(Settings()) as carehub:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("events", total=None)

            def advance(replayed: int, expected: int | None) -> None:
                # The entries held before are what the journal should replay: an estimate
                # (none when the projection was empty), never less than what was done.
                total = None if expected is None else max(expected, replayed)
                progress.update(task, completed=replayed, total=total)

            rebuilt = await carehub.timeline.rebuild(
                actor=Actor.system("timeline-rebuild"), patient_id=patient_id, progress=advance
            )
            done = progress.tasks[0].completed
            progress.update(task, total=done)  # a full bar at the end
            return rebuilt
