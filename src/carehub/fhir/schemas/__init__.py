"""The FHIR input side: strict, bounded pydantic models of the R4 resources carehub takes
in, one module per family of types, and what each becomes in carehub. `patient_details_of`
serves the Patient routes too."""

from carehub.fhir.schemas.patient import patient_details_of

__all__ = ["patient_details_of"]
