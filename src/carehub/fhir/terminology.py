"""The code systems carehub's records name, as the URIs FHIR knows them by.

carehub keeps a coded entry's system as the client sent it: a URI (`http://snomed.info/sct`)
or a short name (`icd10`, `SNOMED CT`). A Coding's system must be a URI, so the common
short names are translated and anything else that is not a URI is left out (the code and
its display still say what the entry is).
"""

from __future__ import annotations

import re

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD_10 = "http://hl7.org/fhir/sid/icd-10"
ICD_10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD_9_CM = "http://hl7.org/fhir/sid/icd-9-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
NDC = "http://hl7.org/fhir/sid/ndc"

# Short names, folded (lower case, no spaces, dashes, dots or underscores). CIE is ICD in
# Spanish, as clinics in the shipped countries write it.
_BY_NAME = {
    "snomed": SNOMED,
    "snomedct": SNOMED,
    "sct": SNOMED,
    "loinc": LOINC,
    "icd10": ICD_10,
    "cie10": ICD_10,
    "icd10cm": ICD_10_CM,
    "icd9cm": ICD_9_CM,
    "rxnorm": RXNORM,
    "atc": ATC,
    "ndc": NDC,
}
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
_NOISE = re.compile(r"[\s._-]+")


def system_uri(name: str | None) -> str | None:
    """The URI of a code system carehub has by name or by URI; None when it is neither."""
    if not name:
        return None
    known = _BY_NAME.get(_NOISE.sub("", name.lower()))
    if known:
        return known
    return name if _URI.fullmatch(name) else None
