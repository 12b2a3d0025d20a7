"""carehub's records as FHIR R4 resources: one module per resource family, pure functions."""
