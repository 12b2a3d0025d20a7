"""The `carehub` command."""
