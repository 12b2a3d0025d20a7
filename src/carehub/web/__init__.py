"""HTTP conventions every domain's router shares: problems, camelCase, ETags, idempotency."""
