"""Benchmarks (`make bench`): throughput reported with a floor measured in the same run."""
