"""Files on local disk shared by the embedded adapters (mail and SMS folders)."""
