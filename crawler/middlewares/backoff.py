"""Retries that wait before trying again.

Scrapy's RetryMiddleware re-queues a failed request at once; against a
ministry server that answered 503 because it is overloaded, an immediate
retry only adds to the load. This subclass keeps Scrapy's retry logic and
stats and waits ``base * 2**(attempt-1)`` seconds (capped) before handing the
retry back, or the server's ``Retry-After`` when it sends one (RFC 9110
10.2.3). The wait is a coroutine, so other requests go on meanwhile.
"""

from __future__ import annotations

import asyncio
import random

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings

from crawler.resolver import refusal


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.base = settings.getfloat("DEMARCHE_RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("DEMARCHE_RETRY_BACKOFF_MAX", 60.0)

    def delay_for(self, retry: Request, response: Response | None = None) -> float:
        if response is not None:
            retry_after = response.headers.get(b"Retry-After")
            if retry_after and retry_after.strip().isdigit():
                return min(float(retry_after.strip()), self.cap)
        attempt = retry.meta.get("retry_times", 1)
        # Jitter keeps many retries of one site from landing together.
        return min(self.base * 2 ** (attempt - 1), self.cap) * random.uniform(0.75, 1.25)

    async def _wait(self, result, response: Response | None = None):  # type: ignore[no-untyped-def]
        if isinstance(result, Request) and self.base > 0:
            delay = self.delay_for(result, response)
            self.crawler.stats.inc_value("retry/backoff_seconds", round(delay, 2))
            await asyncio.sleep(delay)
        return result

    async def process_response(self, request, response):  # type: ignore[override]
        result = super().process_response(request, response)
        return await self._wait(result, response)

    async def process_exception(self, request, exception):  # type: ignore[override]
        if (refused := refusal(request, exception)) is not None:
            # A name that resolves to a private address: no retry; the
            # offsite middleware counts it and says so once per host.
            raise refused
        result = super().process_exception(request, exception)
        return await self._wait(result)
