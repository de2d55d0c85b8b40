"""The embedded store: SQLite on local disk, with an in-memory graph for algorithms."""
