"""Identity adapters: password hashing, token signing, external identity providers."""
