"""The `carehub` command: serve the API, migrate the database, load demo data."""

from __future__ import annotations

import asyncio
import os
import sys
from itertools import islice
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from carehub.audit.verification import Verification
from carehub.bootstrap import (
    database_revision,
    import_batch_size,
    seal_stored_secrets,
    upgrade_database,
)
from carehub.config import EnvFileMissing, Settings, chosen_env_file
from carehub.entrypoints.cli.database import opened, reachable_database, require_database
from carehub.entrypoints.cli.demo_data import demo_drafts
from carehub.entrypoints.cli.export import export_app
from carehub.entrypoints.cli.import_data import import_app
from carehub.entrypoints.cli.search import index_every_patient, search_app
from carehub.entrypoints.cli.start_line import start_line
from carehub.entrypoints.cli.timeline import timeline_app
from carehub.entrypoints.logging import configure_logging
from carehub.identity.commands import NewUser
from carehub.kernel.actor import Actor, Role
from carehub.kernel.errors import CarehubError

app = typer.Typer(
    help="carehub: patient records for clinics in several countries.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
users_app = typer.Typer(help="Accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
keys_app = typer.Typer(help="Token signing keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
events_app = typer.Typer(help="The event backbone.", no_args_is_help=True)
app.add_typer(events_app, name="events")
countries_app = typer.Typer(help="Countries and their rule sets.", no_args_is_help=True)
app.add_typer(countries_app, name="countries")
app.add_typer(timeline_app, name="timeline")
app.add_typer(search_app, name="search")
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")
console = Console(stderr=True)


@app.callback()
def _before_every_command() -> None:
    """carehub's JSON logs, warnings and errors only, for every command (`serve` and
    `worker` then take CAREHUB_LOG_LEVEL): a command's console shows what it prints. A
    missing env file is named in one line rather than a traceback."""
    configure_logging("WARNING")
    try:
        chosen_env_file()
    except EnvFileMissing as exc:
        typer.echo(f"carehub: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Overrides CAREHUB_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Overrides CAREHUB_PORT.")] = None,
    workers: Annotated[int | None, typer.Option(help="Overrides CAREHUB_WORKERS.")] = None,
) -> None:
    """Serve the HTTP API."""
    # Each worker builds its app from the environment: the overrides go there too, so that
    # the default public URL (`http://<host>:<port>`) names where this server listens.
    for name, value in (("CAREHUB_HOST", host), ("CAREHUB_PORT", port)):
        if value is not None:
            os.environ[name] = str(value)
    settings = Settings()
    host = host or settings.host
    port = port or settings.port
    # The app creates the CAREHUB_BOOTSTRAP_ADMIN_* admin as it starts: no hint needed then.
    bootstraps_admin = bool(settings.bootstrap_admin_email and settings.bootstrap_admin_password)
    has_admin = bootstraps_admin or asyncio.run(_has_admin(settings))
    ran_as = sys.argv[0] if Path(sys.argv[0]).name == "carehub" else "carehub"
    line = start_line(
        host=host, port=port, data_dir=settings.data_dir, has_admin=has_admin, command=ran_as
    )
    typer.echo(line, err=True)
    configure_logging(settings.log_level)  # the app configures it again in each worker
    uvicorn.run(
        "carehub.entrypoints.http.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers or settings.workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_config=None,
        server_header=False,
        # carehub reads X-Forwarded-For itself, from CAREHUB_TRUSTED_PROXIES only: uvicorn's
        # own handling would believe any client on 127.0.0.1 (or FORWARDED_ALLOW_IPS).
        proxy_headers=False,
    )


async def _has_admin(settings: Settings) -> bool:
    async with opened(settings) as carehub:
        return await carehub.identity.accounts.has_admin()


@app.command()
def worker(
    host: Annotated[str | None, typer.Option(help="Overrides CAREHUB_WORKER_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Overrides CAREHUB_WORKER_PORT.")] = None,
) -> None:
    """Run the outbox relay and every event consumer (health on the worker port)."""
    settings = Settings()
    require_database(settings)
    configure_logging(settings.log_level)
    uvicorn.run(
        "carehub.entrypoints.worker:create_worker_app",
        factory=True,
        host=host or settings.worker_host,
        port=port or settings.worker_port,
        loop="uvloop",
        access_log=False,
        log_config=None,
        server_header=False,
        timeout_graceful_shutdown=60,
    )


@events_app.command("catalogue")
def events_catalogue() -> None:
    """Print the event catalogue (Markdown): every event type and its payload schema."""
    from carehub.entrypoints.cli.event_catalogue import catalogue

    typer.echo(catalogue(), nl=False)


@events_app.command("declare")
def events_declare() -> None:
    """Create (or update) the broker's topics, queues and subscriptions for every consumer:
    once per deployment, for processes that run with CAREHUB_BROKER_DECLARE=false."""
    asyncio.run(_declare())


async def _declare() -> None:
    settings = Settings().model_copy(update={"broker_declare": True})
    async with opened(settings) as carehub:
        names = sorted(runner.name for runner in carehub.events.runners)
    console.print(f"declared the queues of: {', '.join(names)}")


@events_app.command("dead-letters")
def dead_letters(
    consumer: Annotated[str | None, typer.Option(help="Only this consumer's.")] = None,
    include_replayed: Annotated[bool, typer.Option(help="Also those replayed.")] = False,
    replay: Annotated[str | None, typer.Option(help="Replay the dead letter with this id.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
) -> None:
    """List the messages consumers gave up on, or replay one (`--replay ID`)."""
    asyncio.run(_dead_letters(consumer, include_replayed, replay, limit))


async def _dead_letters(
    consumer: str | None, include_replayed: bool, replay: str | None, limit: int
) -> None:
    operator = Actor.system("cli")
    async with opened(Settings()) as carehub:
        try:
            if replay is not None:
                letter = await carehub.dead_letters.replay(actor=operator, letter_id=replay)
                console.print(f"replayed {letter.letter_id} ({letter.message.event_type})")
                return
            page = await carehub.dead_letters.list(
                actor=operator, consumer=consumer, include_replayed=include_replayed, limit=limit
            )
        except CarehubError as exc:
            console.print(f"[red]{exc.detail}[/red]")
            raise typer.Exit(1) from exc
    # Tab-separated, one letter per line: readable, and easy to grep or cut.
    typer.echo("id\tconsumer\tevent id\tevent type\tattempts\tparked at\tlast error")
    for letter in page.items:
        fields = (
            letter.letter_id,
            letter.consumer,
            letter.message.event_id,
            letter.message.event_type,
            str(letter.attempts),
            letter.parked_at.isoformat(timespec="seconds"),
            letter.last_error,
        )
        typer.echo("\t".join(fields))
    if not page.items:
        console.print("no dead letters")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply schema migrations (to the latest by default), then add the shipped countries
    that are missing."""
    settings = Settings()
    with reachable_database():
        upgrade_database(settings, revision)
        console.print(f"database at revision [bold]{database_revision(settings)}[/bold]")
    if revision == "head":  # older revisions lack the tables these steps write
        sealed = asyncio.run(seal_stored_secrets(settings))
        if sealed:
            console.print(f"sealed {sealed} secrets stored in plain text")
        asyncio.run(_load_countries(settings))


@countries_app.command("load")
def countries_load() -> None:
    """Add a country record (id = ISO code) for each shipped rule set that has none; records
    that exist, and an operator's changes to them, are left as they are."""
    asyncio.run(_load_countries(Settings()))


async def _load_countries(settings: Settings) -> None:
    async with opened(settings) as carehub:
        added = await carehub.countries.load_shipped(actor=Actor.system("countries-load"))
    names = ", ".join(country.id for country in added) or "none missing"
    console.print(f"shipped countries added: {names}")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    with reachable_database():
        typer.echo(database_revision(Settings()) or "none")


@app.command()
def demo(
    patients: Annotated[int, typer.Option(min=1, help="How many patients to create.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same people).")] = 7,
    batch: Annotated[
        int | None,
        typer.Option(
            min=1, max=10_000, help="Patients per transaction [default: 2000; 2 on DynamoDB]."
        ),
    ] = None,
) -> None:
    """Load synthetic patients across PE, CL, CO, MX and US through the bulk use case."""
    asyncio.run(_demo(patients, seed, batch))


async def _demo(count: int, seed: int, batch: int | None) -> None:
    actor = Actor.system("demo")
    columns = (TextColumn("patients"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    settings = Settings()
    batch = batch or import_batch_size(settings)
    async with opened(settings) as carehub:
        # The demo patients live in the shipped countries; `db upgrade` adds them, this makes sure.
        await carehub.countries.load_shipped(actor=actor)
        drafts = demo_drafts(count, seed=seed, today=carehub.clock.now().date())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("patients", total=count)
            while chunk := list(islice(drafts, batch)):
                done = await carehub.patients.register_many(actor=actor, drafts=chunk)
                progress.advance(task, done)
        # In bulk, rather than waiting for the search-index consumer to reach them one by one.
        await index_every_patient(carehub, actor, clear=False)
    console.print(f"created {count} demo patients")


@users_app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(help="The admin's email.")],
    password: Annotated[str, typer.Option(help="12+ characters.", envvar="CAREHUB_ADMIN_PASSWORD")],
    country: Annotated[str | None, typer.Option(help="Country id, optional.")] = None,
) -> None:
    """Create an admin account (non-interactive)."""
    asyncio.run(_create_admin(email, password, country))


async def _create_admin(email: str, password: str, country: str | None) -> None:
    async with opened(Settings()) as carehub:
        try:
            new = NewUser(email=email, password=password, role=Role.ADMIN, country_id=country)
            user = await carehub.identity.accounts.create_user(actor=Actor.system("cli"), new=new)
        except CarehubError as exc:
            console.print(f"[red]{exc.detail}[/red]")
            raise typer.Exit(1) from exc
    console.print(f"created admin {user.email} ({user.id})")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check every shard of the audit trail and the links between them; exit code 1 names
    the first bad entry of each broken shard."""
    result = asyncio.run(_audit_verify())
    for shard in result.shards:
        if shard.intact:
            console.print(f"shard {shard.shard}: intact, {shard.checked} entries")
        else:
            console.print(
                f"[red]shard {shard.shard}: broken at entry {shard.first_bad_seq}: "
                f"{shard.problem}[/red] ({shard.checked} entries before it are intact)"
            )
    links = f"{result.links} links between shards checked"
    if result.intact:
        console.print(f"audit trail intact: {result.checked} entries checked, {links}")
        return
    broken = sum(not shard.intact for shard in result.shards)
    console.print(f"[red]audit trail broken in {broken} shard(s)[/red] ({links})")
    raise typer.Exit(1)


async def _audit_verify() -> Verification:
    async with opened(Settings()) as carehub:
        return await carehub.audit.verify()


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Sign new tokens with a new key; tokens signed before stay valid until they expire."""
    kid = asyncio.run(_rotate())
    console.print(f"now signing with key {kid}")


async def _rotate() -> str:
    async with opened(Settings()) as carehub:
        return await carehub.identity.sessions.tokens.rotate()
