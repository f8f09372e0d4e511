"""Alembic environment: the engine is handed in by ``ingest.db.migrate``."""

from alembic import context

from ingest.db import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    context.run_migrations()
