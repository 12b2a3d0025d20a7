"""Tests of the Redis Streams broker beyond the Broker contract."""
