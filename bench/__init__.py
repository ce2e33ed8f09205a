"""`make bench`: measurements of the suite on the machine it runs on (docs/benchmarks.md)."""
