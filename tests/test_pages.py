"""The dose pages through Django's client: prefilled form, warnings before recording, history and verify."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from shotlee.ledger.models import Entry
from tests.conftest import make_protocol


@pytest.fixture
def web(alice):
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def protocol(alice_api):
    return make_protocol(alice_api, name="Sema")


def form_values(html: bytes) -> dict:
    text = html.decode()
    values = dict(re.findall(r'name="(client_entry_id|amount|occurred_at)"[^>]*value="([^"]*)"', text))
    values["site"] = re.search(r'<option value="([^"]*)" selected>', text.split('name="site"')[1]).group(1)
    return values


def test_the_form_prefills_the_protocol_dose_and_the_next_site_in_rotation(web, alice_api, protocol):
    first = form_values(web.get(f"/doses/log/?protocol={protocol['id']}").content)
    assert first["amount"] == "0.25" and first["site"] == "abdomen left" and first["client_entry_id"]
    at = (datetime.now(UTC) - timedelta(days=8)).isoformat()
    alice_api.post(
        "/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "site": "abdomen left", "occurred_at": at}
    )
    assert form_values(web.get(f"/doses/log/?protocol={protocol['id']}").content)["site"] == "abdomen right"


def test_a_warning_is_shown_before_anything_is_recorded_and_record_anyway_keeps_it(web, protocol):
    values = form_values(web.get("/doses/log/").content)
    post = {"protocol": protocol["id"], "unit": "mg", "note": "", **values}
    assert web.post("/doses/log/", post).status_code == 302
    again = {**post, **form_values(web.get("/doses/log/").content)}
    warned = web.post("/doses/log/", again)
    assert warned.status_code == 409
    assert b"Record anyway" in warned.content and b"minimum interval" in warned.content
    assert Entry.objects.filter(kind="dose").count() == 1
    codes = re.findall(rb'name="acknowledge" value="([a-z_]+)"', warned.content)
    confirmed = web.post("/doses/log/", {**again, "acknowledge": [c.decode() for c in codes]})
    assert confirmed.status_code == 302
    doses = list(Entry.objects.filter(kind="dose").order_by("seq"))
    assert len(doses) == 2
    assert {w["code"] for w in doses[1].data["acknowledged"]} == {c.decode() for c in codes}
    history = web.get("/history/").content
    assert b"acknowledged" in history and b"too_soon" in history


def test_pressing_record_twice_records_once(web, protocol):
    values = form_values(web.get("/doses/log/").content)
    post = {"protocol": protocol["id"], "unit": "mg", "note": "", **values}
    assert web.post("/doses/log/", post).status_code == 302
    assert web.post("/doses/log/", post).status_code == 302  # same client_entry_id: the device retried
    assert Entry.objects.filter(kind="dose").count() == 1


def test_a_future_time_is_refused_on_the_form(web, protocol):
    values = form_values(web.get("/doses/log/").content)
    future = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = web.post("/doses/log/", {"protocol": protocol["id"], "unit": "mg", **values, "occurred_at": future})
    assert response.status_code == 422
    assert b"in the future" in response.content
    assert not Entry.objects.filter(kind="dose").exists()


def test_history_shows_the_head_and_verified_and_voids_are_struck_through(web, alice_api, protocol):
    at = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    dose = alice_api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "occurred_at": at}).json()
    response = web.post(f"/history/{dose['id']}/correct/", {"action": "void", "reason": "double entry"})
    assert response.status_code == 302
    page = web.get("/history/").content.decode()
    assert "✓ Verified" in page and "entry #3" in page
    assert re.search(r'class="entry kind-dose superseded" id="entry-2".*?<s>', page, re.S)
    assert "Voided by" in page and "double entry" in page
    full = web.post("/history/verify/").content.decode()
    assert "All 3 entries verified" in full


def test_history_pages_through_older_entries(web, alice_api, protocol):
    start = datetime.now(UTC) - timedelta(days=400)
    for i in range(55):
        alice_api.post(
            "/api/v1/doses",
            {
                "protocol": protocol["id"],
                "amount": "0.25",
                "occurred_at": (start + timedelta(days=7 * i)).isoformat(),
                "acknowledge": ["long_ago"],  # the first ones are more than a year back
            },
        )
    first = web.get("/history/").content.decode()  # 56 entries: a protocol and 55 doses, 25 a page
    assert first.count('class="entry ') == 25 and "?before=32" in first
    second = web.get("/history/?before=32").content.decode()
    assert second.count('class="entry ') == 25 and "?before=7" in second
    third = web.get("/history/?before=7").content.decode()
    assert third.count('class="entry ') == 6 and "✓ Verified" in third and "?before=" not in third


def test_a_protocol_change_is_a_new_version_and_the_old_one_stays(web, protocol):
    page = web.post(
        f"/protocols/{protocol['id']}/edit/",
        {
            "compound": "semaglutide",
            "name": "Sema",
            "dose": "0.5",
            "unit": "mg",
            "route": "subcutaneous",
            "min_interval": "5",
            "min_interval_unit": "days",
        },
    )
    assert page.status_code == 302
    detail = web.get(f"/protocols/{protocol['id']}/").content.decode()
    assert "Changed — 0.5 mg, at least 5 days apart" in detail and "Started — 0.25 mg" in detail


def test_history_shows_every_kind_of_record_in_words(web, alice_api, protocol):
    alice_api.post("/api/v1/side-effects", {"symptom": "headache", "severity": 3})
    reading = alice_api.post("/api/v1/metrics", {"type": "blood_pressure", "value": 120, "value2": 80}).json()
    alice_api.post(
        f"/api/v1/entries/{reading['id']}/corrections", {"action": "correct", "reason": "misread", "value": 118}
    )
    page = web.get("/history/").content.decode()
    assert "Side effect: headache, severity 3/10" in page
    assert "Blood pressure: 118/80 mmHg" in page and "<s>Blood pressure: 120/80 mmHg</s>" in page
    assert "Protocol start: Sema" in page
    assert f"/history/{reading['id']}/correct/" not in page  # a corrected reading offers no second correction


def test_history_shows_what_a_person_typed_as_text_never_as_markup(web, alice_api, protocol):
    typed = "<script>alert(1)</script> & 'quoted' \"too\""
    at = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    body = {"protocol": protocol["id"], "amount": "0.25", "occurred_at": at, "site": "<b>thigh</b>", "note": typed}
    dose = alice_api.post("/api/v1/doses", body).json()
    alice_api.post(f"/api/v1/entries/{dose['id']}/corrections", {"action": "void", "reason": "<i>wrong</i>"})
    page = web.get("/history/").content.decode()
    assert "<script>" not in page.split("<main")[1] and "<b>thigh" not in page and "<i>wrong" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#x27;quoted&#x27; &quot;too&quot;" in page
    assert "&lt;b&gt;thigh&lt;/b&gt;" in page and "“&lt;i&gt;wrong&lt;/i&gt;”" in page


def test_the_history_page_makes_the_same_five_queries_at_any_length(web, alice_api, protocol):
    """Session; user with profile; the protocols' names (the diary's filter); the diary; the record with the chain
    head, checkpoints and corrections. No query per entry."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for doses in (1, 30):
        start = datetime.now(UTC) - timedelta(days=400)
        for i in range(doses):
            at = (start + timedelta(days=7 * i, hours=len(counts))).isoformat()
            body = {"protocol": protocol["id"], "amount": "0.25", "occurred_at": at, "acknowledge": ["long_ago"]}
            alice_api.post("/api/v1/doses", body)
        with CaptureQueriesContext(connection) as logged:
            assert web.get("/history/").status_code == 200
        counts.append(len(logged.captured_queries))
    assert counts == [5, 5], [q["sql"][:80] for q in logged.captured_queries]


@pytest.mark.parametrize("before", ["99999999999999999999999", "²", "-1", "1.5", "", "0"])
def test_history_ignores_an_older_link_it_did_not_make(web, protocol, before):
    page = web.get("/history/", {"before": before})
    assert page.status_code == 200 and "✓ Verified" in page.content.decode()
