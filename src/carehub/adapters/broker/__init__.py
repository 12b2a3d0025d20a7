"""Brokers: in-process, Redis Streams, SNS + SQS."""
