"""FHIR resources taken in: typed, bounded pydantic models of what carehub keeps."""
