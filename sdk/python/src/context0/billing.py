"""The Billing API: the current period's usage, closed periods, and the plan's limits.
Money is in US cents."""

from __future__ import annotations

from typing import AsyncIterator, Awaitable, Iterator

from ._http import JSON
from ._resource import R, Resource, async_pages, pages


class BillingAPI(Resource[R]):
    def usage(self) -> R:
        """The current calendar month (UTC) to date: `{"plan", "period", "metrics",
        "requests", "base_price_cents", "estimated_total_cents"}`."""
        return self._request("GET", "/billing/usage")

    def history(self, *, limit: int | None = None, skip: int | None = None) -> R:
        """Closed periods, newest first: `{"items", "total", "limit", "skip"}`."""
        return self._request("GET", "/billing/history", params={"limit": limit, "skip": skip})

    def limits(self) -> R:
        """`{"plan", "monthly_price_cents", "rate_limits", "quotas", "unit_prices_cents"}`."""
        return self._request("GET", "/billing/limits")


class Billing(BillingAPI[JSON]):
    def iterate_history(self, *, page_size: int = 100) -> Iterator[JSON]:
        return pages(lambda skip: self.history(limit=page_size, skip=skip))


class AsyncBilling(BillingAPI[Awaitable[JSON]]):
    def iterate_history(self, *, page_size: int = 100) -> AsyncIterator[JSON]:
        return async_pages(lambda skip: self.history(limit=page_size, skip=skip))
