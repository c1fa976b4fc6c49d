"""Benchmarks run by `make bench`; they write docs/benchmarks.md and benchmarks/results.json."""
