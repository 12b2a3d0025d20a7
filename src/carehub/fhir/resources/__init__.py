"""carehub's records as FHIR R4 resources: one module per resource family, each a set of
pure functions from a domain's model to the resource as a plain dict (JSON-ready: strings,
numbers, booleans, lists and dicts only, and never an empty value, which FHIR forbids).
"""
