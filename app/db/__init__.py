"""The database layer: models, engine, and the queries services call (they flush, never commit)."""
