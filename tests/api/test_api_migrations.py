"""The Alembic migrations build exactly the schema the models describe, on SQLite and on
PostgreSQL, and can be undone."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from app.db.migrate import alembic_config, upgrade_to_head


def test_migrated_schema_matches_the_models(database_url):
    command.check(alembic_config(database_url))  # raises if autogenerate finds a difference


def test_downgrade_and_upgrade_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'round-trip.db'}"
    upgrade_to_head(url)
    command.downgrade(alembic_config(url), "base")
    engine = create_engine(url)
    assert inspect(engine).get_table_names() == ["alembic_version"]
    upgrade_to_head(url)
    assert {"users", "submissions", "submission_files", "grades", "artifacts"} <= set(
        inspect(engine).get_table_names())
    engine.dispose()
