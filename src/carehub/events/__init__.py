"""The event backbone: outbox relay, brokers, consumers and their dead letters."""
