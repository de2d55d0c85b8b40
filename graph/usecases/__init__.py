"""Use cases: what tiegraph does for its users, in domain words, over the storage port."""
