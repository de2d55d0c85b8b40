"""Benchmarks for tiegraph; each module runs as ``python -m bench.<name>``."""
