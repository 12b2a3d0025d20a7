"""Webhooks: admins subscribe URLs to event types; deliveries are signed, retried and paused."""
