"""Conformance of both stores with LDBC SNB Interactive reads on the LDBC test graph."""
