"""Image decoding and derived variants."""
