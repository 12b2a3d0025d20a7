"""HTTP benchmark for carehub: `make bench` (see bench/README.md)."""
