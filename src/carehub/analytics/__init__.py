"""De-identified, real-time counters fed by events (seed 003)."""
