"""Tests of the SMS adapters."""
