"""Settings from an env file: `CAREHUB_ENV_FILE`, else `.env` in the working folder; the
environment wins over the file, and a named file that is missing stops carehub."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from carehub.config import ENV_FILE_VARIABLE, EnvFileMissing, Settings
from carehub.entrypoints.cli.main import app as cli


@pytest.fixture
def env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An env file CAREHUB_ENV_FILE names, in a working folder of its own."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "carehub.env"
    path.write_text(
        "# comments and other programs' variables are fine\n"
        "CAREHUB_PORT=9100\n"
        "CAREHUB_LOG_LEVEL=WARNING\n"
        "CAREHUB_CORS_ORIGINS=https://a.example, https://b.example\n"
        "CAREHUB_SECRET_KEY=from-the-file\n"
        "POSTGRES_PASSWORD=not-carehubs\n"
    )
    monkeypatch.setenv(ENV_FILE_VARIABLE, str(path))
    for name in ("CAREHUB_PORT", "CAREHUB_LOG_LEVEL", "CAREHUB_CORS_ORIGINS"):
        monkeypatch.delenv(name, raising=False)
    return path


def test_settings_come_from_the_named_file(env_file: Path) -> None:
    settings = Settings()
    assert settings.env_file == env_file
    assert settings.port == 9100
    assert settings.log_level == "WARNING"
    assert settings.cors_origins == ["https://a.example", "https://b.example"]


def test_the_environment_wins_over_the_file(
    env_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAREHUB_PORT", "9200")
    settings = Settings()
    assert settings.port == 9200
    assert settings.log_level == "WARNING"  # what the environment leaves unset still applies
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value() != "from-the-file"  # the tests' own key


def test_dot_env_in_the_working_folder_is_read_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_FILE_VARIABLE)
    monkeypatch.delenv("CAREHUB_PORT", raising=False)
    assert Settings().port == 8000  # no .env: the defaults, and no error
    (tmp_path / ".env").write_text("CAREHUB_PORT=9300\n")
    assert Settings().port == 9300


def test_a_named_file_that_is_missing_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "typo.env"
    monkeypatch.setenv(ENV_FILE_VARIABLE, str(missing))
    with pytest.raises(EnvFileMissing, match=r"typo\.env"):
        Settings()
    result = CliRunner().invoke(cli, ["db", "current"])
    assert result.exit_code == 1
    expected = f"carehub: {ENV_FILE_VARIABLE} names {missing}, which does not exist"
    assert result.output.strip() == expected
