"""T14 and T15: the safety rules hold when the doses that would break them arrive at once.

Every submission runs in its own thread with its own database connection (closed
at the end) through the Django test client, released by one barrier. The result
is compared with a small reference model of the rules: the outcome must be one
that some serial order of the same requests produces.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from shotlee.accounts.services import issue_token
from shotlee.ledger.models import Entry
from tests.conftest import Api, make_protocol

TIMEOUT = 60.0
DUPLICATE_WINDOW = timedelta(minutes=30)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@dataclass(frozen=True)
class Dose:
    at: datetime
    amount: Decimal


@dataclass(frozen=True)
class Rules:
    min_interval: timedelta | None = None
    window: timedelta | None = None
    cap: Decimal | None = None


def window_peak(doses: list[Dose], window: timedelta) -> Decimal:
    """The largest total in any window [start, start + window) that starts at a dose."""
    return max(
        (sum((d.amount for d in doses if s.at <= d.at < s.at + window), Decimal(0)) for s in doses), default=Decimal(0)
    )


def model_accepts(rules: Rules, history: list[Dose], dose: Dose) -> bool:
    """The reference model: would `dose` be recorded without a warning after `history`?"""
    if rules.min_interval and any(abs(dose.at - h.at) < rules.min_interval for h in history):
        return False
    if rules.window and rules.cap is not None:
        near = [h for h in history if abs(h.at - dose.at) < rules.window] + [dose]
        if window_peak(near, rules.window) > rules.cap:
            return False
    return not any(h.amount == dose.amount and abs(h.at - dose.at) < DUPLICATE_WINDOW for h in history)


def model_count(rules: Rules, order: list[Dose]) -> int:
    accepted: list[Dose] = []
    for dose in order:
        if model_accepts(rules, accepted, dose):
            accepted.append(dose)
    return len(accepted)


def assert_serial_outcome(rules: Rules, submitted: list[Dose], accepted_in_seq_order: list[Dose]) -> None:
    """Accepted doses pass the model in commit order, and every refused one breaks a rule against them.

    The rules only get stricter as doses are added, so this holds exactly when running the same
    requests one at a time (accepted in seq order, then the refused ones) gives the same outcome.
    """
    so_far: list[Dose] = []
    for dose in accepted_in_seq_order:
        assert model_accepts(rules, so_far, dose), f"{dose} should not have been recorded after {so_far}"
        so_far.append(dose)
    for dose in set(submitted) - set(accepted_in_seq_order):
        assert not model_accepts(rules, so_far, dose), f"{dose} was refused though nothing blocks it"


@dataclass
class Reply:
    dose: Dose
    status: int
    body: Any
    error: str = ""


def race(token: str, protocol_id: str, doses: list[Dose], seed: int) -> list[Reply]:
    """Submit every dose from its own thread and client, in shuffled order, all released by one barrier."""
    doses = doses[:]
    random.Random(seed).shuffle(doses)
    apis = [Api(token) for _ in doses]
    barrier = threading.Barrier(len(doses), timeout=TIMEOUT)
    replies: list[Reply | None] = [None] * len(doses)

    def run(i: int) -> None:
        body = {"protocol": protocol_id, "amount": str(doses[i].amount), "occurred_at": doses[i].at.isoformat()}
        try:
            barrier.wait()
            response = apis[i].post("/api/v1/doses", body)
            replies[i] = Reply(doses[i], response.status_code, json.loads(response.content))
        except Exception as exc:  # an unhandled server error
            replies[i] = Reply(doses[i], 599, None, f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(doses))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a request did not finish in time"
    out = [r for r in replies if r is not None]
    assert len(out) == len(doses)
    bad = [r for r in out if r.status not in (201, 409) or r.error]
    assert not bad, bad[:3]
    return out


def recorded(user: Any) -> list[Dose]:
    rows = Entry.objects.filter(user=user, kind="dose").order_by("seq").values_list("occurred_at", "payload")
    return [Dose(at, Decimal(json.loads(payload)["amount"])) for at, payload in rows]


def codes(reply: Reply) -> set[str]:
    return {w["code"] for w in reply.body["warnings"]}


def start_time() -> datetime:
    return (datetime.now(UTC) - timedelta(days=2)).replace(second=0, microsecond=0)


def setup(user: Any, **limits: Any) -> tuple[str, Api, dict[str, Any]]:
    token = issue_token(user)
    api = Api(token)
    return token, api, make_protocol(api, **limits)


def assert_chain_ok(api: Api) -> None:
    verdict = api.get("/api/v1/ledger/verify").json()
    assert verdict["ok"] is True, verdict


def test_fifty_doses_a_minute_apart_within_a_24h_minimum_accept_exactly_one(alice):
    token, api, protocol = setup(alice, interval_hours=24, min_interval_hours=24)
    rules = Rules(min_interval=timedelta(hours=24))
    t0 = start_time()
    doses = [Dose(t0 + timedelta(minutes=i), Decimal("0.25")) for i in range(50)]

    replies = race(token, protocol["id"], doses, seed=14)

    assert sum(r.status == 201 for r in replies) == 1
    assert all("too_soon" in codes(r) for r in replies if r.status == 409)
    kept = recorded(alice)
    assert len(kept) == 1 and kept[0] in doses
    assert model_count(rules, doses) == model_count(rules, doses[::-1]) == 1
    assert_serial_outcome(rules, doses, kept)
    assert_chain_ok(api)


def test_twenty_doses_spaced_exactly_the_minimum_interval_are_all_accepted(alice):
    token, api, protocol = setup(alice, interval_hours=1, min_interval_hours=1)
    rules = Rules(min_interval=timedelta(hours=1))
    t0 = start_time()
    doses = [Dose(t0 + timedelta(hours=i), Decimal("0.25")) for i in range(20)]

    replies = race(token, protocol["id"], doses, seed=141)

    assert [r.status for r in replies] == [201] * 20, [r.body for r in replies if r.status != 201][:2]
    kept = recorded(alice)
    assert sorted(d.at for d in kept) == [d.at for d in doses]
    shuffled = doses[:]
    random.Random(7).shuffle(shuffled)
    assert model_count(rules, shuffled) == 20  # the boundary is inclusive in the model too
    assert_serial_outcome(rules, doses, kept)
    assert_chain_ok(api)


def test_twenty_doses_half_the_minimum_apart_match_a_serial_order(alice):
    token, api, protocol = setup(alice, interval_hours=1, min_interval_hours=1)
    rules = Rules(min_interval=timedelta(hours=1))
    t0 = start_time()
    doses = [Dose(t0 + timedelta(minutes=30 * i), Decimal("0.25")) for i in range(20)]

    replies = race(token, protocol["id"], doses, seed=142)

    kept = recorded(alice)
    accepted = sum(r.status == 201 for r in replies)
    assert accepted == len(kept)
    # Neighbours conflict, every other one does not: any serial order keeps between 7 and 10.
    assert 7 <= accepted <= 10
    assert all("too_soon" in codes(r) for r in replies if r.status == 409)
    assert_serial_outcome(rules, doses, kept)
    assert_chain_ok(api)


def assert_window_capped(kept: list[Dose], rules: Rules) -> None:
    assert rules.window is not None and rules.cap is not None
    assert window_peak(kept, rules.window) <= rules.cap


def test_twenty_doses_racing_into_a_window_of_three_accept_exactly_three(alice):
    token, api, protocol = setup(
        alice, interval_hours=None, min_interval_hours=None, window_hours=24, window_max="0.75"
    )
    rules = Rules(window=timedelta(hours=24), cap=Decimal("0.75"))
    t0 = start_time()
    # 35 minutes apart, so possible_duplicate (same amount within 30 min) never fires; all inside 24 h.
    doses = [Dose(t0 + timedelta(minutes=35 * i), Decimal("0.25")) for i in range(20)]
    assert all(model_accepts(rules, [], d) for d in doses)  # each is fine on its own

    replies = race(token, protocol["id"], doses, seed=15)

    assert sum(r.status == 201 for r in replies) == 3
    assert all(codes(r) == {"over_window_max"} for r in replies if r.status == 409)
    kept = recorded(alice)
    assert len(kept) == 3
    assert_window_capped(kept, rules)
    assert model_count(rules, doses) == model_count(rules, doses[::-1]) == 3
    assert_serial_outcome(rules, doses, kept)
    assert_chain_ok(api)


def test_fifty_doses_of_distinct_amounts_racing_into_a_window_accept_exactly_three(alice):
    token, api, protocol = setup(
        alice, dose="1", interval_hours=None, min_interval_hours=None, window_hours=24, window_max="3.2"
    )
    rules = Rules(window=timedelta(hours=24), cap=Decimal("3.2"))
    t0 = start_time()
    # 1.000 to 1.049 mg, 25 minutes apart (all within 21 h): any three fit under 3.2 mg, no four do.
    doses = [Dose(t0 + timedelta(minutes=25 * i), Decimal("1") + Decimal(i) / 1000) for i in range(50)]

    replies = race(token, protocol["id"], doses, seed=151)

    assert sum(r.status == 201 for r in replies) == 3
    assert all(codes(r) == {"over_window_max"} for r in replies if r.status == 409)
    kept = recorded(alice)
    assert len(kept) == 3
    assert_window_capped(kept, rules)
    assert_serial_outcome(rules, doses, kept)
    assert_chain_ok(api)
