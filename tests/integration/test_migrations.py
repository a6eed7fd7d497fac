"""The Alembic migrations build exactly the schema the models describe, on SQLite and on
PostgreSQL: a model changed without its migration fails here, not in production."""

from alembic import command

from app.db.migrate import alembic_config


def test_the_migrated_schema_matches_the_models(database_url):
    # `database_url` is already migrated to head by the fixture; `check` raises on any
    # difference autogenerate would write.
    command.check(alembic_config(database_url))
