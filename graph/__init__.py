"""tiegraph core: the domain, its use cases and the storage adapters."""
