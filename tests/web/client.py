"""A synchronous client over httpx's ASGI transport, with one event loop and one cookie jar.

The loop runs in a thread of its own, so the client works whatever loop the calling thread
has (a test elsewhere in the process that left one running made `run_until_complete` refuse).
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
from sqlalchemy import select

from simexit.db import Database
from simexit.models import Notification
from simexit.verification.codes import CODE_PLACEHOLDER, derive_code

T = TypeVar("T")

WEB_TEST_SECRET = "test-secret-key-for-the-web-tests-000"  # the web tests' SIMEXIT_SECRET_KEY
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class WebClient:
    def __init__(self, app: Any, base_url: str = "http://testserver") -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=base_url, follow_redirects=False
        )

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._run(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def follow(self, response: httpx.Response) -> httpx.Response:
        while response.status_code in {302, 303, 307}:
            response = self.get(response.headers["location"])
        return response

    def csrf(self, url: str) -> str:
        """The CSRF token of the form on `url` (the page also sets the CSRF cookie)."""
        page = self.get(url)
        found = CSRF_RE.search(page.text)
        assert found, f"no CSRF token on {url}: {page.status_code}"
        return found.group(1)

    def submit(self, page_url: str, action: str, data: dict[str, str]) -> httpx.Response:
        return self.post(action, data={"csrf_token": self.csrf(page_url), **data})

    @property
    def cookies(self) -> httpx.Cookies:
        return self._client.cookies

    def close(self) -> None:
        self._run(self._client.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


def latest_code(db: Database, recipient: str, secret: str = WEB_TEST_SECRET) -> str:
    """The newest one-time code sent to `recipient`. The stored message holds only a placeholder,
    so the code is derived, as the delivery job does, from the server secret (which tests know
    and staff do not) and the challenge the newest message is about."""
    with db.read_session() as session:
        row = session.scalars(
            select(Notification)
            .where(Notification.recipient == recipient, Notification.kind == "verification.code")
            .order_by(Notification.created_at.desc())
        ).first()
    assert row is not None, f"no code was sent to {recipient}"
    assert CODE_PLACEHOLDER in row.body_text
    assert not re.search(r"\d{6}", row.body_text)
    return derive_code(secret.encode(), row.subject_id)
