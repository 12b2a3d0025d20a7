"""HTTP routes for analytics (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from carehub.analytics.model import Metric
from carehub.analytics.schemas import DailyRead
from carehub.analytics.service import AnalyticsService
from carehub.web.actor import REQUIRE_TOKEN, CurrentActor
from carehub.web.dependencies import use_case
from carehub.web.problems import error_responses
from carehub.web.times import QueryDay

router = APIRouter(tags=["analytics"], dependencies=REQUIRE_TOKEN, responses=error_responses(401))
Code = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Analytics = Annotated[AnalyticsService, Depends(use_case(AnalyticsService))]


@router.get("/analytics/daily", response_model=DailyRead, responses=error_responses(403, 422))
async def daily(
    actor: CurrentActor,
    analytics: Analytics,
    metric: Metric,
    first: Annotated[
        QueryDay, Query(alias="from", description="YYYY-MM-DD, within the years 1900 to 2200")
    ],
    last: Annotated[
        QueryDay, Query(alias="to", description="YYYY-MM-DD, within the years 1900 to 2200")
    ],
    country_id: Annotated[Code, Query(alias="countryId")] = None,
    status: Code = None,
    category: Code = None,
) -> DailyRead:
    """Counts per UTC day of `patients_registered` (by countryId), `appointments` (by
    countryId and status) or `documents_uploaded` (by category); de-identified."""
    where = {
        name: value
        for name, value in (("countryId", country_id), ("status", status), ("category", category))
        if value is not None
    }
    counts = await analytics.daily(actor=actor, metric=metric, first=first, last=last, where=where)
    return DailyRead.of(counts)
