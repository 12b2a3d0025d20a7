"""The query and path parameters the FHIR routes of the clinical record share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path, Query

from carehub.fhir.search_params import MAX_COUNT

ResourceId = Annotated[str, Path(min_length=1, max_length=64)]
PatientParam = Annotated[
    str | None,
    Query(max_length=80, description="Patient/id or id; a patient's own record by default"),
]
TokenParam = Annotated[str | None, Query(max_length=200, description="code[,code...]")]
# FHIR repeats a date parameter to bound both ends: `date=ge2030-01&date=lt2030-07`.
DateParam = Annotated[
    list[str] | None,
    Query(description="[prefix]YYYY[-MM[-DD]] or a date-time; at most twice"),
]
Count = Annotated[int | None, Query(alias="_count", ge=1, le=10 * MAX_COUNT)]
Cursor = Annotated[str | None, Query(alias="_cursor", max_length=512)]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=64, description='W/"versionId", as the ETag gives it'),
]
IfNoneExist = Annotated[
    str | None,
    Header(
        alias="If-None-Exist",
        max_length=600,
        description="A conditional create: the search (a=1&b=2) that finds the resource if it "
        "already exists",
    ),
]
