"""The bench measures doses that pass every rule: its protocols must never warn about the doses it records.

The bench seeds doses a fixed spacing apart, then records new ones between or before them (one hour back per
request, or a minute apart in the dense scenario). A rule that fires there stops the bench at its first dose.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bench.scenarios.dense import DENSE_PROTOCOL
from bench.seed import PROTOCOL


@pytest.mark.parametrize(
    ("protocol", "spacing"), [(PROTOCOL, timedelta(hours=6)), (DENSE_PROTOCOL, timedelta(minutes=1))]
)
def test_doses_recorded_between_seeded_ones_pass_every_rule(alice_api, protocol, spacing):
    created = alice_api.post("/api/v1/protocols", protocol)  # as the bench sends it, without the tests' defaults
    assert created.status_code == 201, created.content
    made = created.json()
    start = datetime.now(UTC) - timedelta(days=2)
    times = [start + i * spacing for i in range(3)] + [start + spacing / 2, start - timedelta(hours=1)]
    for i, at in enumerate(times):  # distinct amounts, as the bench's (the same amount twice is a duplicate)
        response = alice_api.post(
            "/api/v1/doses", {"protocol": made["id"], "amount": f"0.{25 + i}", "occurred_at": at.isoformat()}
        )
        assert response.status_code == 201, response.content
        assert response.json()["warnings"] == [], response.content
