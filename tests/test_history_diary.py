"""Issue 14, "The history reads like a diary": the person's effective history first, each record once at its latest
values, with "corrected" and "voided" marks that open the trail, filterable by kind and protocol; sequence numbers,
hashes and the chain head behind "details". The full check explains the fingerprint it shows and offers the signed
checkpoint as a file, which verify_ledger accepts."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import Client

from shotlee.ledger.models import LedgerHead
from tests.conftest import make_protocol
from tests.test_field_labels import readable

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def diary_items(page: str) -> list[str]:
    chunks = re.findall(r'<li class="diary-item.*?</li>', page, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in chunks]


def test_a_dose_corrected_twice_is_one_diary_line_at_its_latest_values(alice_api, web):
    protocol = make_protocol(alice_api, name="Sema")
    at = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    dose = alice_api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "occurred_at": at}).json()
    first = alice_api.post(
        f"/api/v1/entries/{dose['id']}/corrections", {"action": "correct", "reason": "typo", "amount": "0.5"}
    )
    second = alice_api.post(
        f"/api/v1/entries/{first.json()['id']}/corrections", {"action": "correct", "reason": "again", "amount": "0.75"}
    )
    assert second.status_code == 201
    now = {"protocol": protocol["id"], "amount": "0.25", "acknowledge": ["too_soon"]}
    other = alice_api.post("/api/v1/doses", now).json()
    alice_api.post(f"/api/v1/entries/{other['id']}/corrections", {"action": "void", "reason": "not taken"})
    page = web.get("/history/").content.decode()
    items = diary_items(page)
    doses = [i for i in items if "Protocol" not in i]
    assert len([i for i in items if "0.75" in i]) == 1
    assert not any("0.5 mg" in i for i in items)  # the first correction is superseded: not a line of its own
    corrected = next(i for i in items if "0.75" in i)
    assert "corrected" in corrected and "Corrected: “again”" in corrected
    voided = next(i for i in items if "voided" in i)
    assert "0.25" in voided
    assert len(doses) == 2, items
    # The marks open the trail: the stored record, at the entry, with its details open.
    link = re.search(r'<a class="badge" href="([^"]+)">corrected', page).group(1)
    assert re.fullmatch(r"\?before=\d+#entry-\d+", link)
    trail = web.get("/history/" + link.split("#")[0]).content.decode()
    assert '<details class="record" id="record" open>' in trail and f'id="entry-{first.json()["seq"]}"' in trail
    # Sequence numbers, hashes and the chain head are behind "details" only.
    text = readable(page)
    assert not re.search(r"#\d|Chain head|[0-9a-f]{16}", text), text
    head = LedgerHead.objects.get(user__username="alice")
    assert f"Chain head: entry #{head.seq}" in page  # still there, in the disclosure


def test_the_diary_filters_by_kind_and_protocol(alice_api, web):
    sema = make_protocol(alice_api, name="Sema")
    fin = make_protocol(alice_api, name="Fin", compound="finasteride", unit="mg", route="oral", sites=[])
    assert alice_api.post("/api/v1/doses", {"protocol": sema["id"], "amount": "0.25"}).status_code == 201
    assert alice_api.post("/api/v1/doses", {"protocol": fin["id"], "amount": "1"}).status_code == 201
    assert alice_api.post("/api/v1/side-effects", {"symptom": "headache", "severity": 2}).status_code == 201
    doses = diary_items(web.get("/history/?kind=dose").content.decode())
    assert len(doses) == 2 and not any("headache" in i for i in doses)
    fins = diary_items(web.get(f"/history/?kind=dose&protocol={fin['id']}").content.decode())
    assert len(fins) == 1 and "Fin" in fins[0]
    effects = diary_items(web.get("/history/?kind=side_effect").content.decode())
    assert len(effects) == 1 and "headache" in effects[0]
    everything = diary_items(web.get("/history/?kind=nonsense&protocol=nonsense").content.decode())
    assert len(everything) == 5  # two protocols, two doses, a side effect


def test_the_diary_pages_back_in_time(alice_api, web):
    protocol = make_protocol(alice_api, min_interval_hours=0)
    start = datetime.now(UTC) - timedelta(days=60)
    for i in range(30):
        at = (start + timedelta(days=i)).isoformat()
        body = {"protocol": protocol["id"], "amount": "0.25", "occurred_at": at, "acknowledge": ["off_schedule"]}
        assert alice_api.post("/api/v1/doses", body).status_code == 201
    first = web.get("/history/?kind=dose").content.decode()
    assert len(diary_items(first)) == 25
    earlier = re.search(r'href="\?([^"]*earlier=[^"]+)"', first).group(1).replace("&amp;", "&")
    assert "kind=dose" in earlier
    second = diary_items(web.get("/history/?" + earlier).content.decode())
    assert len(second) == 5
    for bad in ("not-a-cursor", "-", "99999999999999999999.1", "-99999999999999999.5", "1.²"):
        assert web.get("/history/", {"earlier": bad}).status_code == 200


def test_the_diary_pages_back_before_1970(alice_api, web):
    protocol = make_protocol(alice_api, min_interval_hours=0)
    for year in range(1901, 1931):
        body = {
            "protocol": protocol["id"],
            "amount": "0.25",
            "occurred_at": f"{year}-06-01T08:00:00Z",
            "acknowledge": ["long_ago", "off_schedule"],
        }
        assert alice_api.post("/api/v1/doses", body).status_code == 201
    first = web.get("/history/?kind=dose").content.decode()
    earlier = re.search(r'href="\?([^"]*earlier=-[^"]+)"', first).group(1).replace("&amp;", "&")
    second = diary_items(web.get("/history/?" + earlier).content.decode())
    assert len(second) == 5 and "1905" in second[0] and "1901" in second[-1]


def test_the_full_check_explains_its_fingerprint_and_offers_the_signed_checkpoint(alice, alice_api, bob, web, tmp_path):
    make_protocol(alice_api)
    page = web.post("/history/verify/").content.decode()
    head = LedgerHead.objects.get(user=alice)
    assert f'<code class="hash" id="head-hash">{head.head_hash}</code>' in page
    assert "fingerprint computed from the entry and the fingerprint of the one before it" in page
    assert "Save the signed checkpoint" in page
    saved = web.get("/history/checkpoint.json")
    assert saved["Content-Disposition"] == f'attachment; filename="shotlee-checkpoint-{head.seq}.json"'
    kept = json.loads(saved.content)
    assert kept[0]["user"] == alice.pk and kept[0]["seq"] == head.seq and kept[0]["head_hash"] == head.head_hash
    path = tmp_path / "kept.json"
    path.write_text(saved.content.decode())
    call_command("verify_ledger", "--user", "alice", "--checkpoints", str(path))  # raises CommandError if it fails
    # Bob's download is his own (he has no record yet: nothing to sign).
    other = Client()
    other.force_login(bob)
    assert other.get("/history/checkpoint.json").status_code == 404
