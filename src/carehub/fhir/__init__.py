"""FHIR R4: carehub's own records as FHIR resources, and FHIR resources taken in.

Not a second store: every resource is mapped from (and onto) a domain's model and goes
through that domain's use cases, so the access gate, the audit trail and the events are
the native API's. The mapping (one module per resource type) is pure Python; `api/` is the
`/fhir/R4` routes, `schemas/` the typed and bounded FHIR input, `importer.py` transaction
and batch Bundles (and Synthea's output) through the same use cases, `export/` the Bulk
Data `$export` (NDJSON files written a step at a time by the `fhir-export` consumer).
"""
