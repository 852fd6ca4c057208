"""50 devices at once on the last dose of a vial: one dose is recorded, the other 49 are warned (409
insufficient_supply) and nothing more is drawn. The supply's remaining amount is read inside the chain lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shotlee.accounts.services import issue_token
from shotlee.ledger.models import Entry
from shotlee.supplies.models import Draw
from tests.conftest import Api, make_protocol
from tests.racing import race, via_client

N = 50
DEVICES = 5

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_last_dose_of_a_vial_is_recorded_once_and_the_others_are_warned(alice):
    tokens = [issue_token(alice) for _ in range(DEVICES)]
    api = Api(tokens[0])
    protocol = make_protocol(api, min_interval_hours=None)
    vial = api.post(
        "/api/v1/supplies", {"compound": "semaglutide", "form": "vial", "strength": "2.5", "quantity": "0.1"}
    )
    assert vial.status_code == 201 and vial.json()["remaining"] == "0.25"
    start = datetime.now(UTC) - timedelta(days=N + 1)
    posters = [via_client(tokens[i % DEVICES]) for i in range(N)]
    bodies = [
        {
            "protocol": protocol["id"],
            "amount": "10",
            "unit": "syringe_units",
            "supply": vial.json()["id"],
            "occurred_at": (start + timedelta(days=i)).isoformat(),
            "acknowledge": ["too_soon", "off_schedule", "possible_duplicate"],
        }
        for i in range(N)
    ]

    replies = race([lambda p=p, b=b: p("/api/v1/doses", b, {}) for p, b in zip(posters, bodies, strict=True)])

    statuses = sorted(r.status for r in replies)
    assert statuses == [201] + [409] * (N - 1), [r.error for r in replies if r.error]
    warned = [r for r in replies if r.status == 409]
    # Each one is refused for the supply (other warnings it lists were acknowledged in the request).
    assert all("insufficient_supply" in {w["code"] for w in r.body["warnings"]} for r in warned)
    assert Entry.objects.filter(user=alice, kind="dose").count() == 1
    assert Draw.objects.filter(user=alice).count() == 1
    assert api.get(f"/api/v1/supplies/{vial.json()['id']}").json()["remaining"] == "0"
