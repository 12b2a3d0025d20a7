"""Mail adapters: a folder of .eml files (the embedded default) and SMTP."""
