"""Tests of the documents domain."""
