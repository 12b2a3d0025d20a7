"""Settings from the environment (`CAREHUB_*`). With nothing set, everything is embedded."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from carehub.audit.shards import MAX_SHARDS as MAX_AUDIT_SHARDS

ENV_FILE_VARIABLE = "CAREHUB_ENV_FILE"
DEFAULT_ENV_FILE = Path(".env")


class EnvFileMissing(RuntimeError):
    """`CAREHUB_ENV_FILE` names a file that does not exist."""


def chosen_env_file() -> Path | None:
    """The env file settings are read from: the one `CAREHUB_ENV_FILE` names, which must
    exist (a typo must not start carehub on defaults), else `.env` if there is one."""
    named = os.environ.get(ENV_FILE_VARIABLE)
    if named:
        path = Path(named)
        if not path.exists():
            raise EnvFileMissing(f"{ENV_FILE_VARIABLE} names {named}, which does not exist")
        return path
    return DEFAULT_ENV_FILE if DEFAULT_ENV_FILE.is_file() else None


class Settings(BaseSettings):
    """Every setting carehub reads. The README's configuration table mirrors this class."""

    model_config = SettingsConfigDict(env_prefix="CAREHUB_", extra="ignore")

    env_file: Path = Field(
        DEFAULT_ENV_FILE,
        description="File of `CAREHUB_*=value` lines read at start; a variable set in the "
        "environment wins over the file. The default `.env` (in the working folder) is read "
        "if it exists; a file named here must exist (`/dev/null`: read none).",
    )
    host: str = Field("127.0.0.1", description="Address `carehub serve` listens on.")
    port: int = Field(8000, description="Port `carehub serve` listens on.")
    public_url: str | None = Field(
        None,
        description="Origin clients reach carehub at (`https://api.clinic.example`), used for "
        "every absolute link it sends (upload forms, downloads); default "
        "`http://<host>:<port>`. The request's `Host` header is never used.",
    )
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated addresses or CIDR ranges of reverse proxies whose "
        "`X-Forwarded-For` names the client; none by default (the peer's address is the "
        "client's).",
    )
    data_dir: Path = Field(
        Path(".carehub"), description="Folder for embedded data (SQLite, files)."
    )
    database_url: str | None = Field(
        None,
        description="`sqlite:///path.db` or `postgresql://user@host/db`; default "
        "`sqlite:///<data_dir>/carehub.db`.",
    )
    database_pool_size: int = Field(10, description="PostgreSQL connections per process.")
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        "FULL", description="SQLite durability: FULL syncs every commit to disk."
    )
    audit_reads_wait_for_disk: bool = Field(
        False,
        description="true: a read answers only once its audit entry is on disk. false: "
        "once it is committed (safe from a crash of carehub), on disk within 50 ms (SQLite) "
        "or PostgreSQL's WAL writer delay. Changes always wait for the disk.",
    )
    audit_shards: int | None = Field(
        None,
        ge=1,
        le=MAX_AUDIT_SHARDS,
        description="How many hash chains (shards) new audit entries are spread over; "
        "default 1 on SQLite, 16 on PostgreSQL, 32 on DynamoDB. Changing it later keeps "
        "every stored entry verifiable.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated browser origins allowed to call the API; none by default.",
    )
    max_body_bytes: int = Field(1_048_576, description="Largest request body accepted (413 above).")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level."
    )
    workers: int = Field(1, description="Server worker processes for `carehub serve`.")
    token_issuer: str = Field("carehub", description="`iss` of the access tokens carehub signs.")
    access_token_ttl_seconds: int = Field(
        900, ge=60, le=3600, description="Lifetime of access tokens (refresh tokens: 30 days)."
    )
    bootstrap_admin_email: str | None = Field(
        None, description="Creates this admin at start-up when no admin exists."
    )
    bootstrap_admin_password: SecretStr | None = Field(
        None, description="Password of the bootstrap admin (12+ characters)."
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Key that seals the token signing keys and webhook secrets in the "
        "database: base64 of 32 bytes (`openssl rand -base64 32`); default: "
        "one made on first start in `<data_dir>/secret.key`. Losing it loses those secrets.",
    )
    mail_url: str | None = Field(
        None,
        description="`smtp://user:pass@host:port` (`?starttls=true`) or `smtps://...`; "
        "default: write messages to `<data_dir>/outbox/`.",
    )
    cache_url: str | None = Field(
        None,
        description="`redis://host:6379/0` for rate limits (sign-in and requests) and the "
        "read cache, shared by processes; default: both in-process.",
    )
    cache: Literal["auto", "memory", "off"] = Field(
        "auto",
        description="The read cache of patients, doctors and countries: `auto` (Redis with "
        "`CAREHUB_CACHE_URL`; else in-process on SQLite with one worker, where this process "
        "relays every event; else off), `memory` (in-process: one process only) or `off`.",
    )
    cache_ttl_seconds: int = Field(
        300, ge=1, le=86_400, description="How long a cached read lives if no event drops it."
    )
    auth_limit_per_account: int = Field(
        10, description="Sign-in, code and sign-up attempts per account per window."
    )
    auth_limit_per_address: int = Field(
        100, description="The same attempts per client address per window."
    )
    auth_limit_window_seconds: int = Field(900, description="Window of those limits.")
    rate_limit_per_minute: int = Field(
        600,
        ge=0,
        description="Requests a minute per signed-in principal; a client address may make "
        "ten times as many. Over it: 429 with `Retry-After`. 0: no limit.",
    )
    oidc_issuer: str | None = Field(
        None, description="Accept tokens of this OpenID Connect issuer (e.g. a Cognito pool)."
    )
    oidc_jwks_url: str | None = Field(
        None, description="Its JWKS; default `<issuer>/.well-known/jwks.json`."
    )
    oidc_audience: str | None = Field(
        None, description="Required `aud` (or Cognito `client_id`) of external tokens."
    )
    oidc_groups_claim: str = Field("cognito:groups", description="Claim holding the groups.")
    oidc_group_roles: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description="`group=role,...` mapping external groups to carehub roles; default: "
        "groups named admin, doctor, staff, patient.",
    )
    webhooks_allow_private: bool = Field(
        False,
        description="Let webhooks reach loopback and private addresses (RFC 1918, CGNAT, "
        "fc00::/7), e.g. a receiver on the same network; link-local addresses (cloud "
        "metadata) stay refused.",
    )
    webhooks_pause_after_failures: int = Field(
        20, ge=1, description="Failed webhook attempts in a row that pause a subscription."
    )

    broker_url: str = Field(
        "memory://",
        description="Where events go: `memory://` (in-process), `redis://host:6379/0` "
        "(Redis Streams) or `sqs://?region=...` (SNS topics and SQS queues).",
    )
    broker_prefix: str = Field(
        "carehub",
        pattern=r"^[A-Za-z0-9_-]{1,40}$",
        description="Prefix of the broker's streams, topics and queues (one per deployment).",
    )
    aws_endpoint_url: str | None = Field(
        None,
        description="A local AWS emulator's endpoint (e.g. moto) for SNS, SQS, S3, CloudFront "
        "and DynamoDB.",
    )
    serve_runs_consumers: bool | None = Field(
        None,
        description="Whether `carehub serve` also runs the event consumers and webhook "
        "deliveries; default: yes with the in-process broker, no otherwise (run "
        "`carehub worker`).",
    )
    event_visibility_timeout_seconds: int = Field(
        30,
        ge=1,
        description="Seconds a consumer may hold a message before it is delivered "
        "again (its consumer is taken to have died).",
    )
    event_max_attempts: int = Field(
        5, ge=1, description="Attempts before a consumer parks a message as a dead letter."
    )
    broker_declare: bool = Field(
        True,
        description="Whether carehub creates (or updates) the broker's topics, queues and "
        "subscriptions when it starts; `false` for Lambda functions, whose every cold start "
        "would repeat it, with `carehub events declare` run once at deploy time instead.",
    )
    booking_queue_countries: Annotated[list[str] | None, NoDecode] = Field(
        None,
        description="Comma-separated country ids whose bookings have a queue and consumer of "
        "their own (`bookings-<id>`), the others sharing `bookings`; default: the countries "
        "in the database at start. A deployment whose queues are fixed ahead (the SAM "
        "template's `Countries`) names them, so every process agrees with its queues.",
    )
    consumer: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The consumer an SQS-triggered Lambda runs (`carehub.entrypoints.aws."
        "queue.handler`), by its name: `bookings-CL`, `bookings`, `notices`, `webhooks`, "
        "`analytics`, `image-variants`, `waitlist`, `care-team`, `task-notices`, `timeline`.",
    )
    outbox_relay: Literal["poll", "stream"] = Field(
        "poll",
        description="How events leave the outbox: `poll` (a relay in carehub's processes "
        "reads the outbox) or `stream` (on DynamoDB only: the table's stream feeds the relay, "
        "a Lambda in AWS; with `CAREHUB_AWS_ENDPOINT_URL` a reader in carehub's processes).",
    )
    outbox_retention_days: int = Field(
        7, ge=1, description="Days published events stay in the outbox table."
    )
    hold_minutes: int = Field(
        10, ge=1, le=120, description="Minutes a hold (`POST /holds`) keeps a slot."
    )
    waitlist_offer_minutes: int = Field(
        15, ge=1, le=1440, description="Minutes a waitlist offer (a hold) waits to be booked."
    )
    sms_url: str = Field(
        "",
        description="Text messages: empty writes them to `<data dir>/sms/` (embedded); "
        "`sns://?region=...` sends them with Amazon SNS.",
    )
    storage_url: str = Field(
        "",
        description="Patient files: empty keeps them in `<data dir>/objects/` with URLs "
        "signed by carehub itself; `s3://bucket/prefix?region=...` uses S3 (or an "
        "S3-compatible store with `CAREHUB_AWS_ENDPOINT_URL`).",
    )
    upload_max_bytes: int = Field(
        25 * 1024 * 1024, ge=1024, description="Largest file a presigned upload accepts."
    )
    upload_url_seconds: int = Field(
        900, ge=60, le=7 * 24 * 3600, description="Lifetime of presigned upload and download URLs."
    )
    storage_events_url: str = Field(
        "",
        description="`sqs://QUEUE_NAME?region=...`: an SQS queue receiving the bucket's "
        "object-created notifications; uploads are completed as soon as S3 stores them.",
    )
    cdn_url: str = Field(
        "",
        description="`cloudfront://DISTRIBUTION_ID` invalidates deleted files on CloudFront; "
        "empty: no CDN.",
    )
    worker_host: str = Field("127.0.0.1", description="Address of `carehub worker`'s health port.")
    worker_port: int = Field(
        8001,
        description="Port of `carehub worker`'s `/health/live`, `/health/ready` and `/metrics`.",
    )
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port on `CAREHUB_HOST` where `carehub serve` answers `GET /metrics` "
        "without a token (and the API does not); none: the API's `/metrics`, for admins.",
    )
    otel_endpoint: str | None = Field(
        None,
        pattern=r"^https?://[^\s]+$",
        max_length=2048,
        description="OTLP/HTTP collector that receives the spans (`http://collector:4318`); "
        "none: tracing is off and costs nothing.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment, then the env file (see `env_file`)."""
        env_file = DotEnvSettingsSource(settings_cls, env_file=chosen_env_file())
        return init_settings, env_settings, env_file, file_secret_settings

    @field_validator("cors_origins", "booking_queue_countries", "trusted_proxies", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        """A comma-separated list from the environment, blanks dropped."""
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("public_url")
    @classmethod
    def _origin_only(cls, value: str | None) -> str | None:
        """An http(s) origin: links are made by appending a path to it."""
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        if parts.username is not None or parts.password is not None:
            raise ValueError("must not carry a user name or password")
        if parts.path not in ("", "/") or "?" in value or "#" in value:
            raise ValueError("must be an origin only: no path, query or fragment")
        if not value.isascii():
            raise ValueError("must be ASCII (write an international name in its xn-- form)")
        _ = parts.port  # raises ValueError for a port that is not a number in range
        return f"{parts.scheme}://{parts.netloc}"

    @field_validator("oidc_group_roles", mode="before")
    @classmethod
    def _split_pairs(cls, value: object) -> object:
        if isinstance(value, str):
            pairs = [p.split("=", 1) for p in value.split(",") if p.strip()]
            return {group.strip(): role.strip() for group, role in pairs}
        return value

    @property
    def consumers_in_serve(self) -> bool:
        """Whether `carehub serve` runs the consumers (see `serve_runs_consumers`)."""
        if self.serve_runs_consumers is not None:
            return self.serve_runs_consumers
        return self.broker_url.startswith("memory://")

    @property
    def resolved_public_url(self) -> str:
        """The origin of every absolute link (see `public_url`)."""
        if self.public_url:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'carehub.db').as_posix()}"
