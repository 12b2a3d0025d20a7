"""SMS adapters: a folder of JSON files (the embedded default) and Amazon SNS."""
