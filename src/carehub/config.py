"""Settings from the environment (`CAREHUB_*`). With nothing set, everything is embedded."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting carehub reads. The README's configuration table mirrors this class."""

    model_config = SettingsConfigDict(env_prefix="CAREHUB_", extra="ignore")

    host: str = Field("127.0.0.1", description="Address `carehub serve` listens on.")
    port: int = Field(8000, description="Port `carehub serve` listens on.")
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
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated browser origins allowed to call the API; none by default.",
    )
    max_body_bytes: int = Field(1_048_576, description="Largest request body accepted (413 above).")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level."
    )
    workers: int = Field(1, description="Server worker processes for `carehub serve`.")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'carehub.db').as_posix()}"
