"""CDN adapters: none (the default) and Amazon CloudFront."""
