"""`carehub search`: rebuild the patient search index from the patient records."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from carehub.bootstrap import Carehub
from carehub.config import Settings
from carehub.entrypoints.cli.database import opened
from carehub.kernel.actor import Actor

search_app = typer.Typer(help="The patient search index.", no_args_is_help=True)
console = Console(stderr=True)


@search_app.command("reindex")
def reindex() -> None:
    """Empty the search index and put every patient's entries again, in batches."""
    done = asyncio.run(_reindex())
    console.print(f"indexed {done} patients")


async def _reindex() -> int:
    async with opened(Settings()) as carehub:
        return await index_every_patient(carehub, Actor.system("search-reindex"), clear=True)


async def index_every_patient(carehub: Carehub, actor: Actor, *, clear: bool) -> int:
    """Put every patient's search entries (after emptying the index when `clear`), with a
    progress bar; `carehub demo` indexes what it created this way too."""
    columns = (TextColumn("indexed"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("indexed", total=None)
        done = await carehub.patient_search.reindex(
            actor=actor, clear=clear, progress=lambda n: progress.update(task, completed=n)
        )
        progress.update(task, total=done)  # a full bar at the end
    return done
