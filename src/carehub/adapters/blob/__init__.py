"""Object storage adapters: a local folder with app-signed URLs (the embedded default) and S3."""
