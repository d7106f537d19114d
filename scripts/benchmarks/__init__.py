"""gg-train's benchmarks (`python scripts/bench.py <name>`): each prints its figure beside a
reference measured in the same run. Never run by the test suite; results live in BENCHMARKS.md."""
