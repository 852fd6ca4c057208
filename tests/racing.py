"""What the race tests share: one request per thread released by a barrier, through the
Django test client or over real HTTP against the live server."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from django.db import connection

from tests.conftest import Api

TIMEOUT = 60.0


@dataclass
class Reply:
    status: int
    body: Any
    replayed: bool
    error: str = ""


def via_client(token: str) -> Callable[[str, dict[str, Any], dict[str, str]], Reply]:
    api = Api(token)

    def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        response = api.post(path, body, headers=headers)
        return Reply(
            response.status_code, json.loads(response.content), response.headers.get("Idempotent-Replayed") == "true"
        )

    return post


def via_http(base_url: str, token: str) -> Callable[[str, dict[str, Any], dict[str, str]], Reply]:
    def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        response = requests.post(
            base_url + path,
            data=json.dumps(body),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}", **headers},
            timeout=TIMEOUT / 2,
        )
        return Reply(response.status_code, response.json(), response.headers.get("Idempotent-Replayed") == "true")

    return post


def http_base(request) -> str:
    """The live server's URL, ready for a race: Django's test server listens with a backlog of 10,
    so 50 simultaneous connects get reset before reaching the app; listen() again with room for all."""
    server = request.getfixturevalue("live_server")
    server.thread.httpd.socket.listen(128)
    return server.url


def race(calls: list[Callable[[], Reply]]) -> list[Reply]:
    """Run each call in its own thread, all released by one barrier; bounded by TIMEOUT."""
    barrier = threading.Barrier(len(calls), timeout=TIMEOUT)
    replies: list[Reply | None] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait()
            replies[i] = calls[i]()
        except Exception as exc:  # an unhandled server error or a transport failure
            replies[i] = Reply(599, None, False, f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a request did not finish in time"
    return [r for r in replies if r is not None]
