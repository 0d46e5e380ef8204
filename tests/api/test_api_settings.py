"""The one Settings: AUTOGRADER_ variables and .env, and production refusing unsafe defaults."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import Settings


def test_defaults_suit_one_machine(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("AUTOGRADER_DATABASE_URL", "AUTOGRADER_BROKER_URL", "AUTOGRADER_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database_url == "sqlite:///./var/autograder.db"
    assert settings.broker_url is None and settings.upload_max_bytes == 256 * 1024


def test_environment_and_dotenv_are_read(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("AUTOGRADER_UPLOAD_MAX_KB=64\nAUTOGRADER_QUEUE_NAME=q\n")
    monkeypatch.setenv("AUTOGRADER_QUEUE_NAME", "from-env")
    settings = Settings()
    assert settings.upload_max_kb == 64 and settings.queue_name == "from-env"


@pytest.mark.parametrize("values, words", [
    ({"broker_url": "redis://r:6379/0"}, "AUTOGRADER_DATABASE_URL must be set"),
    ({"database_url": "postgresql+psycopg://u@db/x"}, "AUTOGRADER_BROKER_URL must be set"),
])
def test_production_refuses_unsafe_defaults(values, words):
    with pytest.raises(ValidationError, match=words):
        Settings(_env_file=None, environment="production", **values)
    Settings(_env_file=None, environment="production",
             **{"broker_url": "redis://r:6379/0", "database_url": "postgresql+psycopg://u@db/x"})


def test_nonsense_values_are_refused():
    with pytest.raises(ValidationError):
        Settings(_env_file=None, upload_max_kb=0)
