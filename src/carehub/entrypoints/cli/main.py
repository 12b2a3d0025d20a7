"""The `carehub` command: serve the API, migrate the database, load demo data."""

from __future__ import annotations

import asyncio
from itertools import islice
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from carehub.bootstrap import build, database_revision, upgrade_database
from carehub.config import Settings
from carehub.entrypoints.cli.demo_data import demo_drafts
from carehub.entrypoints.logging import configure_logging
from carehub.kernel.actor import Actor

app = typer.Typer(
    help="carehub: patient records for clinics in several countries.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(stderr=True)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Overrides CAREHUB_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Overrides CAREHUB_PORT.")] = None,
    workers: Annotated[int | None, typer.Option(help="Overrides CAREHUB_WORKERS.")] = None,
) -> None:
    """Serve the HTTP API."""
    settings = Settings()
    configure_logging(settings.log_level)  # the app configures it again in each worker
    uvicorn.run(
        "carehub.entrypoints.http.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_config=None,
        server_header=False,
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply schema migrations (to the latest by default)."""
    settings = Settings()
    upgrade_database(settings, revision)
    console.print(f"database at revision [bold]{database_revision(settings)}[/bold]")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    typer.echo(database_revision(Settings()) or "none")


@app.command()
def demo(
    patients: Annotated[int, typer.Option(min=1, help="How many patients to create.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same people).")] = 7,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Patients per transaction.")] = 2000,
) -> None:
    """Load synthetic patients across PE, CL, CO, MX and US through the bulk use case."""
    asyncio.run(_demo(patients, seed, batch))


async def _demo(count: int, seed: int, batch: int) -> None:
    settings = Settings()
    carehub = await build(settings)
    actor = Actor.system("demo")
    drafts = demo_drafts(count, seed=seed, today=carehub.clock.now().date())
    columns = (TextColumn("patients"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("patients", total=count)
            while chunk := list(islice(drafts, batch)):
                done = await carehub.patients.register_many(actor=actor, drafts=chunk)
                progress.advance(task, done)
    finally:
        await carehub.close()
    console.print(f"created {count} demo patients")
