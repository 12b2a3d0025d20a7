"""In-memory fakes of the storage ports, for unit tests."""
