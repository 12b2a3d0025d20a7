"""Tests of the CDN adapters."""
