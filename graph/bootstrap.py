"""The composition root for stores: build the one the settings ask for."""

from __future__ import annotations

from graph.ports import GraphStore
from graph.settings import GraphSettings, StoreKind

__all__ = ["build_store"]


def build_store(settings: GraphSettings) -> GraphStore:
    """Return an unopened store of the configured kind (call ``await store.open()`` next).

    Adapters are imported here, lazily, so that using one backend never loads the other's
    driver.
    """
    if settings.store is StoreKind.NEO4J:
        from graph.adapters.neo4j.store import Neo4jStore

        password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else None
        return Neo4jStore(
            uri=settings.require_neo4j(),
            auth=(settings.neo4j_user, password) if password is not None else None,
            database=settings.neo4j_database,
            model=settings.strength_model(),
            connection_timeout_s=settings.neo4j_connection_timeout_seconds,
            acquisition_timeout_s=settings.neo4j_acquisition_timeout_seconds,
            max_retry_time_s=settings.neo4j_max_retry_time_seconds,
            plan_searches_at_open=settings.neo4j_plan_searches_at_start,
        )
    from graph.adapters.embedded.store import EmbeddedStore

    return EmbeddedStore(settings.data_dir, settings.strength_model())
