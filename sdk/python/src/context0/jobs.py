"""Background jobs: `GET /jobs/{id}` for every `202` answer, and waiting for one to end."""

from __future__ import annotations

import time
from typing import Awaitable

import anyio

from ._http import JSON, path
from ._resource import R, Resource
from .errors import JobFailedError, WaitTimeoutError

FINAL_STATES = frozenset({"completed", "failed", "cancelled"})


class JobsAPI(Resource[R]):
    def get(self, job_id: int | str) -> R:
        """`{"id", "kind", "queue", "state", "attempt", "max_attempts", "last_error",
        "errors", "created_at", "run_at", "attempted_at", "finished_at"}`; `state` is
        `available`, `running`, `completed`, `failed` or `cancelled`."""
        return self._request("GET", path("jobs", job_id))


def finished(job: JSON, raise_on_failure: bool) -> bool:
    if job["state"] not in FINAL_STATES:
        return False
    if raise_on_failure and job["state"] != "completed":
        raise JobFailedError(job)
    return True


class Jobs(JobsAPI[JSON]):
    def wait(
        self, job_id: int | str, *, timeout: float = 60.0, poll_interval: float = 0.5, raise_on_failure: bool = True
    ) -> JSON:
        """Polls until the job is completed (returns it), failed or cancelled (raises
        `JobFailedError`, or returns it with `raise_on_failure=False`), or `timeout` passes
        (raises `WaitTimeoutError`)."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if finished(job, raise_on_failure):
                return job
            if time.monotonic() >= deadline:
                raise WaitTimeoutError(f"job {job_id} still {job['state']} after {timeout} s", job)
            time.sleep(poll_interval)


class AsyncJobs(JobsAPI[Awaitable[JSON]]):
    async def wait(
        self, job_id: int | str, *, timeout: float = 60.0, poll_interval: float = 0.5, raise_on_failure: bool = True
    ) -> JSON:
        """See `Jobs.wait`."""
        deadline = time.monotonic() + timeout
        while True:
            job = await self.get(job_id)
            if finished(job, raise_on_failure):
                return job
            if time.monotonic() >= deadline:
                raise WaitTimeoutError(f"job {job_id} still {job['state']} after {timeout} s", job)
            await anyio.sleep(poll_interval)
