"""Issue 14, "Units": a value is shown in the person's unit, as precise as it was typed; with no preference yet, the
unit typed becomes the preference (said once); the history never shows a stored value like "82.735248 kg";
choosing another metric keeps what was typed; headings use the metric's own name ("Log DHT")."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from shotlee.accounts.models import Profile
from shotlee.ledger.models import Entry
from tests.test_field_labels import readable

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def log(web: Client, key: str, value: str, unit: str):
    return web.post("/metrics/log/", {"type": key, "shown": key, "value": value, "unit": unit}, follow=True)


def test_the_unit_typed_becomes_the_preference_and_is_said_once(alice, web):
    first = log(web, "weight", "182.4", "lb")
    assert "Weight is shown in lb from now on, the unit you typed" in first.content.decode()
    assert Profile.objects.get(user=alice).preferred_units == {"weight": "lb"}
    second = log(web, "weight", "181", "lb")
    assert "from now on" not in second.content.decode()
    # A preference set in Settings is never changed by typing another unit.
    log(web, "weight", "82.5", "kg")
    assert Profile.objects.get(user=alice).preferred_units == {"weight": "lb"}
    diary = readable(web.get("/history/").content.decode())  # the diary: <details> (the stored record) left out
    assert "Weight: 182.4 lb" in diary and "Weight: 181 lb" in diary
    assert "Weight: 181.9 lb" in diary  # 82.5 kg in lb, to lb's usual precision
    assert "kg" not in diary


def test_a_lab_typed_in_ng_dl_stays_in_ng_dl_and_the_history_shows_no_stored_digits(alice, web, alice_api):
    log(web, "dht", "45", "ng/dL")
    stored = Entry.objects.for_user(alice).get(kind="metric").data
    assert stored["unit"] == "nmol/L" and len(stored["value"]) > 6  # kept exactly, canonically
    page = readable(web.get("/history/").content.decode())
    assert "DHT: 45 ng/dL" in page and stored["value"] not in page
    # A reading from the API in another unit: converted and rounded, never "82.735248 kg".
    alice_api.post("/api/v1/metrics", {"type": "weight", "value": "82.735248", "unit": "kg"})
    Profile.objects.filter(user=alice).update(units='{"dht": "ng/dL", "weight": "lb"}')
    page = readable(web.get("/history/").content.decode())
    assert not re.search(r"\d\.\d{4,} (kg|lb)", page), page


def test_choosing_another_metric_keeps_what_was_typed_and_records_nothing(alice, web):
    response = web.post(
        "/metrics/log/", {"type": "dht", "shown": "weight", "value": "45", "unit": "kg", "note": "fasting"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'<input id="id_value" name="value"[^>]* value="45"', page)
    assert "fasting</textarea>" in page
    assert re.search(r"<h1>Log DHT</h1>", page)
    assert not Entry.objects.for_user(alice).filter(kind="metric").exists()
    assert "<h1>Log weight</h1>" in web.get("/metrics/log/?type=weight").content.decode()
    assert "<h1>Log HbA1c</h1>" in web.get("/metrics/log/?type=hba1c").content.decode()
