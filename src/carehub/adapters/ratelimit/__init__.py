"""Rate limiters (the identity RateLimiter port): in memory for one process, Redis for many."""
