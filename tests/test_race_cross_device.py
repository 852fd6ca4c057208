"""T13: the same dose sent at once from many devices is recorded once; the others get 409.

Each device has its own token and its own Idempotency-Key (or none), so only
the chain lock and the rules stand between the duplicates and the ledger. Every
request runs in its own thread with its own database connection, through the
Django test client or over real HTTP against the live server. Rounds:
SHOTLEE_RACE_ROUNDS (default 10 through the test client, 3 over HTTP).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from shotlee.accounts.services import issue_token
from shotlee.ledger.models import Entry
from tests.conftest import Api, make_protocol
from tests.racing import http_base, race, via_client, via_http

N = 50
DEVICES = 5
ROUNDS = os.environ.get("SHOTLEE_RACE_ROUNDS", "")

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=["client", "http"])
def transport(request):
    """(poster factory, rounds): the Django test client, or `requests` against the live server."""
    if request.param == "http":
        base = http_base(request)
        return (lambda token: via_http(base, token)), int(ROUNDS or 3)
    return via_client, int(ROUNDS or 10)


def test_concurrent_duplicates_from_many_devices_record_one_dose_per_round(alice, transport):
    make_poster, rounds = transport
    tokens = [issue_token(alice) for _ in range(DEVICES)]
    api = Api(tokens[0])
    protocol = make_protocol(api)  # weekly, minimum interval 120 h
    start = (datetime.now(UTC) - timedelta(days=30 * (rounds + 1))).replace(second=0, microsecond=0)
    accepted_ids = []
    posters = [make_poster(tokens[i % DEVICES]) for i in range(N)]  # one client per thread, reused each round

    for r in range(rounds):
        at = start + timedelta(days=30 * r)
        body = {"protocol": protocol["id"], "amount": "0.25", "occurred_at": at.isoformat()}
        # Every third device sends no key; the others each send their own.
        headers = [{} if i % 3 == 0 else {"Idempotency-Key": f"device-{i % DEVICES}-round-{r}-{i}"} for i in range(N)]

        replies = race(
            [lambda p=p, h=h, b=body: p("/api/v1/doses", b, h) for p, h in zip(posters, headers, strict=True)]
        )

        summary = f"round {r}: " + ", ".join(
            f"{s} x {sum(x.status == s for x in replies)}" for s in sorted({x.status for x in replies})
        )
        assert len(replies) == N, summary
        assert not [x for x in replies if x.status >= 500 or x.error], summary
        assert not any("locked" in json.dumps(x.body).lower() for x in replies), summary
        created = [x for x in replies if x.status == 201]
        refused = [x for x in replies if x.status == 409]
        assert (len(created), len(refused)) == (1, N - 1), summary
        assert not any(x.replayed for x in replies)
        winner = created[0].body
        assert winner["occurred_at"] == at.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        accepted_ids.append(winner["id"])
        when = at.strftime("%d %b %Y %H:%M")
        for x in refused:
            codes = {w["code"] for w in x.body["warnings"]}
            assert codes & {"possible_duplicate", "too_soon"}, x.body
            # The warning points at the dose that won the race.
            assert any(when in w["message"] for w in x.body["warnings"]), x.body

        doses = list(Entry.objects.filter(user=alice, kind="dose").order_by("seq").values_list("uid", "seq"))
        assert [str(uid) for uid, _ in doses] == accepted_ids
        ledger = api.get("/api/v1/ledger", {"limit": 1000}).json()
        assert [e["seq"] for e in ledger["items"]] == list(range(1, r + 3))
        assert ledger["head"]["seq"] == r + 2
        verdict = api.get("/api/v1/ledger/verify").json()
        assert verdict["ok"] is True and verdict["entries"] == r + 2, verdict
