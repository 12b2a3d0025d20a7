"""The clinical record's request and response bodies, one module per kind of item, and
their mapping to the model (`common.py`: what every kind's bodies share)."""
