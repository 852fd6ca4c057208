"""Issue 14, "Words and numbers": the dose form preselects the protocol due next (not the alphabetically first),
labels the suggested site as a suggestion, and says "Saved" after a save."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from tests.conftest import make_protocol

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def selected(page: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S)
    assert select, name
    option = re.search(r'<option value="([^"]*)" selected>([^<]*)</option>', select.group(0))
    assert option, name
    return option.group(2)


def test_the_protocol_due_next_is_preselected_with_its_suggested_site(alice_api, web):
    start = (datetime.now(UTC) - timedelta(days=20)).date().isoformat()
    alpha = make_protocol(alice_api, name="Alpha", compound="finasteride", starts_on=start, sites=["left", "right"])
    make_protocol(alice_api, name="Zeta", compound="minoxidil", starts_on=start, sites=["scalp", "crown"])
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    taken = {"protocol": alpha["id"], "amount": "0.25", "occurred_at": yesterday, "site": "left"}
    assert alice_api.post("/api/v1/doses", taken).status_code == 201
    # Alpha (weekly) is next due in six days; Zeta has never been taken and is due since its start.
    page = web.get("/doses/log/").content.decode()
    assert selected(page, "protocol") == "Zeta"
    assert selected(page, "site") == "scalp (suggested)"
    assert "It is only a suggestion" in page
    alpha_page = web.get(f"/doses/log/?protocol={alpha['id']}").content.decode()
    assert selected(alpha_page, "protocol") == "Alpha" and selected(alpha_page, "site") == "right (suggested)"


def test_a_saved_dose_says_saved(alice_api, web):
    protocol = make_protocol(alice_api)
    response = web.post(
        "/doses/log/", {"protocol": protocol["id"], "amount": "0.25", "unit": "mg", "site": "thigh left"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/history/?recorded=1"
    assert re.search(r'role="status">Saved: dose recorded\.<', response.content.decode())
