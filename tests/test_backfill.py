"""Back-filling: past doses in one form, each an ordinary ledger record with its real time, rules included."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from shotlee.ledger.models import Entry
from tests.conftest import make_protocol


@pytest.fixture
def web(alice):
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def weekly(alice_api):
    start = (timezone.now() - timedelta(days=30)).date().isoformat()
    return make_protocol(
        alice_api, name="Sema", schedule={"every": 1, "unit": "weeks"}, starts_on=start, min_interval_hours=120
    )


def rows(html: str) -> list[dict[str, str]]:
    out = []
    for row_id in re.findall(r'name="row" value="([0-9a-f-]+)"', html):
        when = re.search(rf'name="occurred_at-{row_id}" value="([^"]*)"', html).group(1)
        amount = re.search(rf'name="amount-{row_id}" inputmode="decimal" value="([^"]*)"', html).group(1)
        out.append({"id": row_id, "occurred_at": when, "amount": amount})
    return out


def post_rows(web, protocol_id, chosen, extra=None):
    data = {"row": [r["id"] for r in chosen]}
    for r in chosen:
        data[f"include-{r['id']}"] = "1"
        data[f"occurred_at-{r['id']}"] = r["occurred_at"]
        data[f"amount-{r['id']}"] = r["amount"]
        data[f"site-{r['id']}"] = "abdomen left"
    data.update(extra or {})
    return web.post(f"/doses/backfill/{protocol_id}/", data)


def test_the_form_suggests_the_planned_times_since_the_start(web, weekly):
    suggested = rows(web.get(f"/doses/backfill/{weekly['id']}/").content.decode())
    assert 4 <= len(suggested) <= 5  # weekly from 30 days ago
    assert all(r["amount"] == "0.25" for r in suggested)


def test_ticked_rows_become_ordinary_records_with_their_real_times(web, alice_api, weekly):
    suggested = rows(web.get(f"/doses/backfill/{weekly['id']}/").content.decode())
    response = post_rows(web, weekly["id"], suggested[:3])
    assert response.status_code == 302 and "backfilled=3" in response["Location"]
    doses = list(Entry.objects.filter(kind="dose").order_by("occurred_at"))
    assert len(doses) == 3
    assert all(d.recorded_at - d.occurred_at > timedelta(days=1) for d in doses)
    assert alice_api.get("/api/v1/ledger/verify").json()["ok"] is True


def test_a_row_that_breaks_a_rule_comes_back_with_its_warning_and_the_rest_are_recorded(web, weekly):
    suggested = rows(web.get(f"/doses/backfill/{weekly['id']}/").content.decode())
    twin = {**suggested[0], "id": "6b1f4a36-8c38-4c8e-9a3e-2f4d6b0c1a11"}  # the same dose twice
    response = post_rows(web, weekly["id"], [suggested[0], twin, suggested[2]])
    assert response.status_code == 409
    page = response.content.decode()
    assert "2 doses recorded" in page and "Too soon" in page
    assert Entry.objects.filter(kind="dose").count() == 2
    again = rows(page)
    codes = re.findall(rf'name="acknowledge-{again[0]["id"]}" value="([a-z_]+)"', page)
    confirmed = post_rows(web, weekly["id"], again, {f"acknowledge-{again[0]['id']}": codes})
    assert confirmed.status_code == 302
    assert Entry.objects.filter(kind="dose").count() == 3


def test_submitting_the_same_rows_twice_records_them_once(web, weekly):
    suggested = rows(web.get(f"/doses/backfill/{weekly['id']}/").content.decode())
    assert post_rows(web, weekly["id"], suggested[:2]).status_code == 302
    assert post_rows(web, weekly["id"], suggested[:2]).status_code == 302
    assert Entry.objects.filter(kind="dose").count() == 2


def test_bob_cannot_backfill_alice_s_protocol(weekly, bob):
    client = Client()
    client.force_login(bob)
    assert client.get(f"/doses/backfill/{weekly['id']}/").status_code == 404
    assert client.post(f"/doses/backfill/{weekly['id']}/", {"row": []}).status_code == 404
