"""Benchmarks. Each module has `main() -> dict` and writes bench/results/<name>.json."""
