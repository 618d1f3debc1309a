"""Benchmarks of the hot paths, against a real PostgreSQL. Not part of the test run: `make bench` runs them."""
