"""Outbound HTTP: webhook deliveries."""
