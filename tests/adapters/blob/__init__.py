"""Tests of the object store adapters."""
