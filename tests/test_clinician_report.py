"""The clinician report: a PDF of one to three pages whose text carries the doses, effects, readings and head."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from django.test import Client
from pypdf import PdfReader

from shotlee.ledger.models import LedgerHead
from tests.browser_support import ARTIFACTS
from tests.conftest import make_protocol


def test_the_report_renders_with_the_doses_and_the_chain_head(alice, alice_api):
    protocol = make_protocol(alice_api, name="Weekly sema", min_interval_hours=1)
    start = datetime.now(UTC) - timedelta(days=50)
    for i in range(6):
        at = (start + timedelta(days=7 * i)).isoformat()
        ack = ["over_single_max"] if i == 5 else []
        response = alice_api.post(
            "/api/v1/doses",
            {
                "protocol": protocol["id"],
                "amount": "3" if i == 5 else "0.25",
                "occurred_at": at,
                "site": f"site {i}",
                "acknowledge": ack,
            },
        )
        assert response.status_code == 201, response.content
    alice_api.post("/api/v1/side-effects", {"symptom": "nausea", "severity": 6, "protocol": protocol["id"]})
    for i, value in enumerate(("82.0", "81.2", "80.9")):
        at = (start + timedelta(days=10 * i)).isoformat()
        assert (
            alice_api.post("/api/v1/metrics", {"type": "weight", "value": value, "measured_at": at}).status_code == 201
        )
    client = Client()
    client.force_login(alice)
    since = (start - timedelta(days=1)).date().isoformat()
    response = client.get(
        "/data/report/",
        {"make": 1, "protocol": protocol["id"], "since": since, "until": datetime.now(UTC).date().isoformat()},
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "clinician-report.pdf").write_bytes(response.content)  # looked at as an image (pdftoppm)
    reader = PdfReader(io.BytesIO(response.content))
    assert 1 <= len(reader.pages) <= 3
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Protocol report: Weekly sema" in text
    assert (
        text.count("0.25 mg") == 6 and "3 mg" in text and "site 0" in text and "site 5" in text
    )  # six doses and the protocol
    assert "Adherence" in text and "6 dose(s) recorded of" in text
    assert "nausea" in text and "moderate" in text
    assert "Weight" in text and "Warnings the person confirmed (1)" in text and "above" in text
    head = LedgerHead.objects.get(user=alice)
    assert head.head_hash[:40] in text.replace("\n", "")


def test_another_user_s_protocol_is_a_404_and_bad_dates_are_named(alice, alice_api, bob):
    protocol = make_protocol(alice_api)
    client = Client()
    client.force_login(bob)
    assert client.get("/data/report/", {"make": 1, "protocol": protocol["id"]}).status_code == 404
    client.force_login(alice)
    bad = client.get("/data/report/", {"make": 1, "protocol": protocol["id"], "since": "soon", "until": "2026-01-01"})
    assert bad.status_code == 422 and b"From must be a date" in bad.content
