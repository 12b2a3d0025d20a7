"""Contract tests of the mail adapters."""
