"""The Alembic migrations build exactly the schema the models describe, on SQLite and on
PostgreSQL: a model changed without its migration fails here, not in production."""

from alembic import command

from app.db.migrate import alembic_config, upgrade
from tests.databases import PostgresDatabases, sqlite_url


def test_the_migrated_schema_matches_the_models(database_url):
    # `database_url` is a copy of the template migrated to head; `check` raises on any
    # difference autogenerate would write.
    command.check(alembic_config(database_url))


def test_an_empty_database_migrates_from_scratch(migrated_database, tmp_path):
    """The whole chain, from an empty database (the other tests copy a migrated one)."""
    if isinstance(migrated_database, PostgresDatabases):
        name, url = migrated_database.empty()
        try:
            upgrade(url)
            command.check(alembic_config(url))
        finally:
            migrated_database.drop(name)
    else:
        url = sqlite_url(tmp_path / "empty.db")
        upgrade(url)
        command.check(alembic_config(url))
