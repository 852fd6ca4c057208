"""Issue 14, "Words and numbers": every error names the field as its label does ("When", "Minimum gap"), on the
pages and in the API's `detail` (which keeps the machine-readable key in `loc` and `field`), never "Occurredat",
"Minintervalhours" or "window_hours".

Every form is posted with bad input in each field it has; the words a person reads must hold no raw field name.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from shotlee.ledger.models import Entry
from tests.conftest import make_protocol

pytestmark = pytest.mark.django_db

# Every field key a service or form can name in an error.
KEYS = (
    "occurred_at measured_at started_at ended_at min_interval_hours interval_hours max_single_dose window_hours "
    "window_max starts_on every_unit client_entry_id sites_mode confirmed_step value2 link_dose"
).split()
SQUASHED = [k.replace("_", "") for k in KEYS]


class _Text(HTMLParser):
    """The words a person reads: text outside <script>, <style>, <title>-less head bits and <details>."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style", "details", "template"):
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "details", "template"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def readable(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def assert_no_raw_names(text: str, where: str) -> None:
    for key in KEYS:
        assert not re.search(rf"\b{key}\b", text), f"{where}: the raw field name {key!r} in {text!r}"
    for squashed in SQUASHED:
        assert not re.search(rf"\b{squashed}\b", text, re.IGNORECASE), f"{where}: {squashed!r} in {text!r}"


@pytest.fixture
def page(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def test_every_page_form_names_bad_fields_by_their_labels(alice, alice_api, page):
    protocol = make_protocol(alice_api, window_hours=168, window_max="5")
    dose = alice_api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25"}).json()
    uid = Entry.objects.for_user(alice).get(seq=dose["seq"]).uid
    posts = [
        (
            "/doses/log/",
            {"protocol": protocol["id"], "amount": "lots", "unit": "mg", "occurred_at": "3000-01-01T08:00"},
            ["Amount", "When"],
        ),
        (
            "/side-effects/log/",
            {"symptom": "headache", "severity": "99", "started_at": "3000-01-01T08:00", "ended_at": "1800-01-01T00:00"},
            ["Started", "Ended", "How bad"],
        ),
        ("/metrics/log/?type=weight", {"value": "heavy", "unit": "kg", "measured_at": "3000-01-01T08:00"}, ["Value"]),
        ("/metrics/log/?type=weight", {"value": "80", "unit": "kg", "measured_at": "3000-01-01T08:00"}, ["When"]),
        ("/metrics/types/", {"name": "Steps", "unit": "steps", "min": "x", "max": "y"}, ["Lowest plausible value"]),
        (
            "/protocols/new/",
            {
                "compound": "semaglutide",
                "dose": "0.25",
                "unit": "mg",
                "route": "subcutaneous",
                "every": "1",
                "every_unit": "weeks",
                "min_interval": "soon",
                "min_interval_unit": "days",
                "window": "1",
                "window_unit": "weeks",
                "starts_on": "3000-01-01",
            },
            ["Minimum gap", "Maximum total in the window", "Start date"],
        ),
        (
            f"/history/{uid}/correct/",
            {"action": "correct", "reason": "typo", "amount": "x", "occurred_at": "3000-01-01T08:00"},
            ["Amount", "When"],
        ),
    ]
    for url, data, labels in posts:
        response = page.post(url, data)
        assert response.status_code == 422, (url, response.status_code)
        text = readable(response.content.decode())
        assert_no_raw_names(text, url)
        errors = text[text.index("Please fix the following") :]
        for label in labels:
            assert label in errors, f"{url}: {label!r} is not named in {errors!r}"


def test_the_api_detail_keeps_the_key_and_names_the_label(alice_api):
    response = alice_api.post(
        "/api/v1/protocols",
        {"compound": "semaglutide", "dose": "0.25", "unit": "mg", "route": "subcutaneous", "window_hours": 168},
    )
    assert response.status_code == 422
    (item,) = response.json()["detail"]
    assert item["loc"] == ["body", "window_max"] and item["field"] == "window_max"
    assert item["label"] == "Maximum total in the window"
    assert item["msg"].startswith("Maximum total in the window: ")
    assert_no_raw_names(item["msg"], "protocols")

    late = alice_api.post(
        "/api/v1/doses", {"compound": "finasteride", "unit": "mg", "amount": 1, "occurred_at": "3000-01-01T00:00Z"}
    )
    assert late.status_code == 422
    (item,) = late.json()["detail"]
    assert item["field"] == "occurred_at" and item["msg"].startswith("When: is in the future")

    # Ninja's own schema check (a value of the wrong shape) reads the same way.
    shape = alice_api.post("/api/v1/doses", {"compound": "finasteride", "amount": 1, "occurred_at": "yesterday"})
    assert shape.status_code == 422
    item = next(d for d in shape.json()["detail"] if d.get("field") == "occurred_at")
    assert item["msg"].startswith("When: ") and "Value error" not in item["msg"]
    for detail in (response, late, shape):
        for d in detail.json()["detail"]:
            assert_no_raw_names(d["msg"], "api")


def test_a_protocol_starting_more_than_a_year_ahead_is_refused(alice, alice_api):
    response = alice_api.post(
        "/api/v1/protocols",
        {"compound": "semaglutide", "dose": "0.25", "unit": "mg", "route": "subcutaneous", "starts_on": "3000-01-01"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "Start date: is more than a year ahead; check the year"
    assert not Entry.objects.for_user(alice).exists()
