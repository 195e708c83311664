"""The Analytics API: usage, memory analytics and trends over a date range (default: the
last 30 days; dates `YYYY-MM-DD`, an end date including its whole day, or ISO 8601 times)."""

from __future__ import annotations

from typing import Awaitable, Sequence

from ._http import JSON
from ._resource import R, Resource
from .memories import DateLike


class AnalyticsAPI(Resource[R]):
    def usage(self, *, start_date: DateLike | None = None, end_date: DateLike | None = None) -> R:
        """`{"range", "requests", "usage", "totals"}`."""
        return self._request("GET", "/analytics/usage", params={"start_date": start_date, "end_date": end_date})

    def memories(self, *, start_date: DateLike | None = None, end_date: DateLike | None = None) -> R:
        """`{"total", "created_in_range", "by_category", "by_emotion", "by_source", "growth"}`."""
        return self._request("GET", "/analytics/memories", params={"start_date": start_date, "end_date": end_date})

    def trends(
        self,
        *,
        bucket: str | None = None,
        start_date: DateLike | None = None,
        end_date: DateLike | None = None,
        metrics: Sequence[str] | str | None = None,
    ) -> R:
        """`{"bucket", "range", "series": [{"start", …metrics}]}`; `bucket` is `day` or
        `week`, `metrics` narrows the fields."""
        params = {"bucket": bucket, "start_date": start_date, "end_date": end_date, "metrics": metrics}
        return self._request("GET", "/analytics/trends", params=params)


class Analytics(AnalyticsAPI[JSON]):
    pass


class AsyncAnalytics(AnalyticsAPI[Awaitable[JSON]]):
    pass
