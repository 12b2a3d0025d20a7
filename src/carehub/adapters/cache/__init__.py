"""The cache port's adapters: in-process (bounded LRU with a time to live) and Redis."""
