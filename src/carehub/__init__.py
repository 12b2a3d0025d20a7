"""carehub: a backend for multi-country clinics and hospital groups."""

__version__ = "0.1.0"
