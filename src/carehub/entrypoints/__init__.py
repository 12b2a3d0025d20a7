"""Translate the outside world (HTTP, CLI, workers) into use-case calls and back."""
