"""Metrics (the kernel Metrics port): Prometheus counters, histograms and gauges."""
