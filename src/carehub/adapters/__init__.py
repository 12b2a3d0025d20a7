"""Implementations of the domains' ports, one folder per technology."""
