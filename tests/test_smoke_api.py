from datetime import UTC, datetime, timedelta

from tests.conftest import make_protocol


def iso(dt: datetime) -> str:
    return dt.isoformat()


def test_dose_flow_records_then_warns_then_records_anyway(alice_api):
    protocol = make_protocol(alice_api)
    t0 = datetime.now(UTC) - timedelta(days=1)
    first = alice_api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "occurred_at": iso(t0)})
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["seq"] == 2 and body["amount"] == "0.25" and body["unit"] == "mg"
    second = {"protocol": protocol["id"], "amount": 0.25, "occurred_at": iso(t0 + timedelta(hours=1))}
    refused = alice_api.post("/api/v1/doses", second)
    assert refused.status_code == 409, refused.content
    codes = {w["code"] for w in refused.json()["warnings"]}
    assert "too_soon" in codes
    anyway = alice_api.post("/api/v1/doses", {**second, "acknowledge": sorted(codes)})
    assert anyway.status_code == 201, anyway.content
    assert {w["code"] for w in anyway.json()["warnings"]} == codes
    listed = alice_api.get("/api/v1/doses").json()["items"]
    assert [d["seq"] for d in listed] == [3, 2]
    verify = alice_api.get("/api/v1/ledger/verify").json()
    assert verify == {
        "ok": True,
        "entries": 3,
        "head": verify["head"],
        "first_bad_seq": None,
        "reason": "",
        "triggers": {"ok": True, "missing": []},  # issue 12: verify reports the append-only triggers too
    }
