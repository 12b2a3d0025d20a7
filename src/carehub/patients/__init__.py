"""Patient records: registration, demographics, identifiers, conditions and allergies."""
