"""Issue 14, "Words and numbers": no internal wording on a page a person reads. Every page is fetched, signed in
and with data (protocols from a guide and by hand, doses, one corrected, a side effect, readings), and the words
outside a "details" disclosure must hold no slug, hash, version id, sequence number or raw field name, no
"COMPUTED:" and no "168 h"; no page's <title> holds markup."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from shotlee.accounts.services import issue_token
from shotlee.guides.loader import load_guides
from shotlee.guides.models import Guide
from shotlee.ledger.models import Entry
from tests.conftest import Api, make_protocol
from tests.test_field_labels import assert_no_raw_names, readable

pytestmark = pytest.mark.django_db

HEX = re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,}\b")
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
# "168 h" is shorthand; the dashboard's countdown ("in 5 h", "2 h overdue", the words of issue 10) is not.
SHORTHAND = re.compile(r"(?<!\bin )\b\d+(?:\.\d+)? h\b(?! overdue)|COMPUTED|\bseq\b|#\d")


@pytest.fixture
def data(alice):
    load_guides()
    api = Api(issue_token(alice))
    weekly = make_protocol(api, window_hours=168, window_max="5")
    tracked = api.post("/api/v1/protocols", {"guide": "dutasteride-mesotherapy", "regimen": "quarterly-0-1-mg"})
    assert tracked.status_code == 201, tracked.content
    dose = api.post("/api/v1/doses", {"protocol": weekly["id"], "amount": "0.25", "occurred_at": "2026-01-05T08:00Z"})
    assert dose.status_code == 201, dose.content
    target = Entry.objects.for_user(alice).get(seq=dose.json()["seq"])
    fixed = api.post(
        f"/api/v1/entries/{target.uid}/corrections", {"action": "correct", "reason": "typo", "amount": "0.5"}
    )
    assert fixed.status_code == 201, fixed.content
    assert api.post("/api/v1/side-effects", {"symptom": "headache", "severity": 3}).status_code == 201
    assert api.post("/api/v1/metrics", {"type": "weight", "value": "182.4", "unit": "lb"}).status_code == 201
    assert api.post("/api/v1/metrics", {"type": "dht", "value": "45", "unit": "ng/dL"}).status_code == 201
    return {"weekly": weekly["id"], "tracked": tracked.json()["id"], "dose": str(target.uid)}


def pages(data: dict[str, str]) -> list[str]:
    weekly, tracked = data["weekly"], data["tracked"]
    return [
        "/",
        "/guides/",
        *[f"/guides/{slug}/" for slug in Guide.objects.values_list("slug", flat=True)],
        "/protocols/",
        f"/protocols/{weekly}/",
        f"/protocols/{tracked}/",
        f"/protocols/{weekly}/edit/",
        f"/protocols/{tracked}/edit/",
        "/protocols/new/",
        "/protocols/new/?guide=dutasteride-mesotherapy&regimen=quarterly-0-1-mg",
        "/protocols/new/?guide=semaglutide&regimen=wegovy-weekly-ladder",
        "/doses/log/",
        f"/doses/log/?protocol={tracked}",
        f"/doses/backfill/{weekly}/",
        "/history/",
        f"/history/{data['dose']}/correct/",
        "/side-effects/",
        "/side-effects/log/",
        "/metrics/",
        "/",
        "/timeline/",
        f"/timeline/{weekly}/",
        "/supplies/",
        "/reminders/",
        "/metrics/log/?type=weight",
        "/metrics/log/?type=dht",
        "/metrics/types/",
        "/accounts/settings/",
        "/data/",
        "/data/report/",
    ]


def assert_plain(html: str, where: str, slugs: list[str]) -> None:
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title and "<" not in title.group(1) and "&lt;" not in title.group(1), f"{where}: markup in the title"
    text = re.sub(r"https?://\S+", "", readable(html))  # a source's address is what it is
    assert_no_raw_names(text, where)
    for pattern in (UUID, HEX, SHORTHAND):
        found = pattern.search(text)
        assert not found, f"{where}: {found.group(0)!r} in {text[max(0, found.start() - 80) : found.end() + 80]!r}"
    for slug in slugs:  # the ones with a hyphen: "semaglutide" is also the compound's name
        if "-" in slug:
            assert slug not in text, f"{where}: the slug {slug!r} is shown"


def test_no_page_shows_internal_wording(alice, data):
    client = Client()
    client.force_login(alice)
    slugs = [slug for slug in Guide.objects.values_list("slug", flat=True)] + [
        r["key"] for g in Guide.objects.all() for r in g.data["regimens"]
    ]
    for url in pages(data):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_plain(response.content.decode(), url, slugs)


def test_signed_out_pages_show_no_internal_wording(client):
    load_guides()
    for url in ("/accounts/signup/", "/accounts/login/", "/guides/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_plain(response.content.decode(), url, [])
