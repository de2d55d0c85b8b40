"""Faults: a store that goes away under load, a process killed mid-write; nothing acked is lost."""
