"""Tests of the adapters, grouped by technology."""
