"""GET /api/v1/doses: newest first, keyset-paginated by `cursor`, the effective view unless include=corrections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import make_protocol

pytestmark = pytest.mark.django_db

T = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def doses(alice_api):
    """Nine doses: two pairs at the same instant (ties broken by seq), one of them later voided."""
    protocol = make_protocol(alice_api, min_interval_hours=None)
    times = [T + timedelta(days=d) for d in (0, 1, 1, 2, 3, 4, 4, 5, 6)]
    recorded = []
    for i, at in enumerate(times):
        body = {
            "protocol": protocol["id"],
            "amount": f"0.{25 + i}",
            "occurred_at": at.isoformat(),
            "acknowledge": ["possible_duplicate", "too_soon", "off_schedule"],
        }
        response = alice_api.post("/api/v1/doses", body)
        assert response.status_code == 201, response.content
        recorded.append(response.json())
    voided = recorded[5]
    response = alice_api.post(f"/api/v1/entries/{voided['id']}/corrections", {"action": "void", "reason": "twice"})
    assert response.status_code == 201
    return recorded, voided


def walk(api, limit: int, **params) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        body = api.get("/api/v1/doses", query).json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20, "the cursor does not advance"


def newest_first(entries: list[dict]) -> list[str]:
    return [e["id"] for e in sorted(entries, key=lambda e: (e["occurred_at"], e["seq"]), reverse=True)]


@pytest.mark.parametrize("limit", [1, 2, 3, 8, 50])
def test_pages_follow_each_other_without_gaps_or_repeats(alice_api, doses, limit):
    recorded, voided = doses
    pages = walk(alice_api, limit)

    seen = [e["id"] for page in pages for e in page]
    assert seen == newest_first([e for e in recorded if e["id"] != voided["id"]])
    assert all(len(page) <= limit for page in pages)
    assert all(pages[:-1]) and len(pages) == max(1, -(-8 // limit))


def test_include_corrections_pages_through_the_voided_dose_too(alice_api, doses):
    recorded, voided = doses
    pages = walk(alice_api, 4, include="corrections")

    seen = [e for page in pages for e in page]
    assert [e["id"] for e in seen] == newest_first(recorded)
    flagged = next(e for e in seen if e["id"] == voided["id"])
    assert flagged["status"] == "entered-in-error" and flagged["superseded_by_seq"] is not None


def test_a_cursor_the_api_did_not_issue_is_a_clear_422(alice_api, doses):
    response = alice_api.get("/api/v1/doses", {"cursor": "yesterday"})
    assert response.status_code == 422
    assert "cursor" in response.content.decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "2026-03-01T08:00:00.000000Z_99999999999999999999999",  # beyond a 64-bit integer
        "2026-03-01T08:00:00.000000Z_-99999999999999999999999",
        "2026-03-01T08:00:00.000000Z_²",  # a digit to str.isdigit, not to int
        "0001-01-01T00:00:00_1",  # no time zone
        "0001-01-01T00:00:00+05:00_1",  # before year 1 in UTC
        "9999-12-31T23:59:59-05:00_1",  # after year 9999 in UTC
        "2026-03-01T08:00:00.000000Z_",
        "_1",
    ],
)
def test_a_forged_cursor_is_a_422_never_a_server_error(alice_api, doses, cursor):
    response = alice_api.get("/api/v1/doses", {"cursor": cursor})
    assert response.status_code == 422, response.content
    assert "cursor" in response.content.decode()
