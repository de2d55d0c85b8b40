"""Storage adapters: each implements graph.ports.GraphStore for one backend."""
