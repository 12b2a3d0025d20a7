"""The clinical record's use cases, one module per kind of item, over what they share
(`record.py`)."""
