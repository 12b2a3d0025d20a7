"""The secret box: AES-GCM with the deployment's key-encryption key."""
