"""Sample networks: the demo story and the seeded synthetic background (not the core)."""
