"""Helpers the test suite shares that are not fixtures: a real Neo4j server, for one."""
