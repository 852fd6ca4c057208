"""Exports: the JSON verifies on its own and any changed byte names its seq; CSV and FHIR carry the same values;
each export holds only its owner's data."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from shotlee.accounts.services import issue_token
from shotlee.lib import exportcheck
from tests.conftest import Api, make_protocol

ROOT = Path(__file__).resolve().parent.parent
T = datetime.now(UTC).replace(microsecond=0) - timedelta(days=40)


def body(response) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def seed(api: Api, marker: str) -> dict:
    protocol = make_protocol(api, name=f"{marker} protocol")
    doses = []
    for i in range(3):
        at = (T + timedelta(days=7 * i)).isoformat()
        response = api.post(
            "/api/v1/doses",
            {
                "protocol": protocol["id"],
                "amount": "0.25",
                "occurred_at": at,
                "site": "thigh left",
                "note": f"{marker} {i}",
            },
        )
        assert response.status_code == 201, response.content
        doses.append(response.json())
    void = api.post(f"/api/v1/entries/{doses[1]['id']}/corrections", {"action": "void", "reason": "wrong day"})
    assert void.status_code == 201
    corrected = api.post(
        f"/api/v1/entries/{doses[2]['id']}/corrections", {"action": "correct", "reason": "typo", "amount": "0.5"}
    )
    assert corrected.status_code == 201, corrected.content
    readings = [
        {"type": "weight", "value": "81.5", "unit": "kg"},
        {"type": "blood_pressure", "value": 128, "value2": 82},
        {"type": "resting_hr", "value": 61},
        {"type": "testosterone_total", "value": "18.2", "unit": "nmol/L"},
        {"type": "psa", "value": "0.8"},
        {"type": "hba1c", "value": "5.4"},
        {"type": "glucose", "value": "5.2", "unit": "mmol/L"},
        {"type": "body_fat", "value": "18"},
    ]
    for i, reading in enumerate(readings):
        at = (T + timedelta(days=1, hours=i)).isoformat()
        response = api.post("/api/v1/metrics", {**reading, "measured_at": at, "note": f"{marker} reading"})
        assert response.status_code == 201, response.content
    effect = api.post(
        "/api/v1/side-effects",
        {"symptom": f"{marker} headache", "severity": 5, "protocol": protocol["id"], "started_at": T.isoformat()},
    )
    assert effect.status_code == 201
    return {"protocol": protocol, "doses": doses}


@pytest.fixture
def world(alice, bob, charlie):
    apis = {user.username: Api(issue_token(user)) for user in (alice, bob, charlie)}
    for name, api in apis.items():
        seed(api, f"{name.upper()}-MARKER")
    return apis


def test_the_json_export_verifies_with_the_standalone_verifier_without_django(world, tmp_path):
    path = tmp_path / "export.json"
    path.write_bytes(body(world["alice"].get("/api/v1/export.json")))
    probe = (
        "import sys, runpy; sys.argv = ['verify_export', sys.argv[1]];"
        "code = 0\n"
        "try:\n runpy.run_module('shotlee.verify_export', run_name='__main__')\n"
        "except SystemExit as exc:\n code = exc.code\n"
        "assert not [m for m in sys.modules if m.startswith('django')], 'django was imported'\n"
        "sys.exit(code)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run([sys.executable, "-c", probe, str(path)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("OK: 15 entries verify"), done.stdout


def test_the_verifier_checks_the_signature_with_the_key(world, tmp_path, settings):
    path = tmp_path / "export.json"
    path.write_bytes(body(world["alice"].get("/api/v1/export.json")))
    run = [sys.executable, "-m", "shotlee.verify_export", str(path), "--key-env", "THE_KEY"]
    good = subprocess.run(
        run, cwd=ROOT, env={**os.environ, "THE_KEY": settings.LEDGER_KEY.decode()}, capture_output=True, text=True
    )
    assert good.returncode == 0 and "signature checked" in good.stdout, good.stdout
    bad = subprocess.run(run, cwd=ROOT, env={**os.environ, "THE_KEY": "another key"}, capture_output=True, text=True)
    assert bad.returncode == 1 and "signature is not valid" in bad.stdout, bad.stdout


def test_changing_any_byte_of_a_record_fails_at_that_record(world, tmp_path):
    text = body(world["alice"].get("/api/v1/export.json")).decode()
    lines = text.split("\n")
    at = next(
        i for i, line in enumerate(lines) if line.lstrip(",").startswith('{"amount_micro"') and '"seq":3,' in line
    )
    line = lines[at]
    changed = 0
    for position, char in enumerate(line):
        if not char.isalnum():
            continue
        other = "0" if char != "0" else "1"
        if char.isalpha():
            other = "x" if char != "x" else "y"
        candidate = lines[:at] + [line[:position] + other + line[position + 1 :]] + lines[at + 1 :]
        try:
            document = exportcheck.load("\n".join(candidate))
        except exportcheck.NotAnExport:
            continue
        report = exportcheck.check(document)
        assert not report.ok and report.first_bad_seq == 3, (position, line[max(0, position - 20) : position + 20])
        changed += 1
    assert changed > 200  # every value and key of the record was tried
    # And the CLI names it too.
    position = line.index('"occurred_at":"') + len('"occurred_at":"') + 3  # the year's last digit
    year_digit = "1" if line[position] != "1" else "2"
    flipped = lines[:at] + [line[:position] + year_digit + line[position + 1 :]] + lines[at + 1 :]
    path = tmp_path / "flipped.json"
    path.write_text("\n".join(flipped))
    done = subprocess.run(
        [sys.executable, "-m", "shotlee.verify_export", str(path)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 1 and "first bad seq 3" in done.stdout, done.stdout


def test_a_cut_tail_fails_the_standalone_check(world):
    document = json.loads(body(world["alice"].get("/api/v1/export.json")))
    document["entries"] = document["entries"][:-2]
    report = exportcheck.check(document)
    assert not report.ok and report.first_bad_seq == len(document["entries"]) + 1


def test_the_json_export_has_head_checkpoint_every_kind_and_corrections(world, alice):
    document = json.loads(body(world["alice"].get("/api/v1/export.json")))
    entries = document["entries"]
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert document["head"] == {"seq": len(entries), "hash": entries[-1]["hash"]}
    assert document["checkpoint"]["seq"] == len(entries) and document["checkpoint"]["signature"]
    assert {e["kind"] for e in entries} == {"protocol", "dose", "void", "metric", "side_effect"}
    assert any(e["target_seq"] for e in entries if e["kind"] == "dose")
    assert document["user"] == alice.pk and document["guide_versions"] == []


def test_each_export_holds_only_its_owner_s_data(world):
    for name, api in world.items():
        for path in ("/api/v1/export.json", "/api/v1/export.fhir.json"):
            text = body(api.get(path)).decode()
            assert f"{name.upper()}-MARKER" in text
            for other in set(world) - {name}:
                assert f"{other.upper()}-MARKER" not in text, (name, path, other)
        archive = zipfile.ZipFile(io.BytesIO(body(api.get("/api/v1/export.csv.zip"))))
        everything = "".join(archive.read(n).decode() for n in archive.namelist())
        assert f"{name.upper()}-MARKER" in everything
        assert not any(f"{o.upper()}-MARKER" in everything for o in set(world) - {name})


def test_exports_need_a_token(db):
    for path in ("/api/v1/export.json", "/api/v1/export.csv.zip", "/api/v1/export.fhir.json"):
        assert Api().get(path).status_code == 401


def test_the_csv_parses_back_to_the_same_values(world, alice):
    api = world["alice"]
    alice.profile.units = json.dumps({"weight": "lb", "glucose": "mg/dL"})
    alice.profile.timezone = "Europe/Paris"
    alice.profile.save()
    archive = zipfile.ZipFile(io.BytesIO(body(api.get("/api/v1/export.csv.zip"))))
    assert set(archive.namelist()) == {"protocol.csv", "dose.csv", "side_effect.csv", "metric.csv", "supply.csv"}
    doses = list(csv.DictReader(io.StringIO(archive.read("dose.csv").decode())))
    listed = api.get("/api/v1/doses").json()["items"]
    assert len(doses) == len(listed) == 2  # the effective view: one voided, one replaced by its correction
    by_id = {d["id"]: d for d in listed}
    for row in doses:
        dose = by_id[row["id"]]
        assert (Decimal(row["amount"]), row["unit"], row["site"], row["note"]) == (
            Decimal(dose["amount"]),
            dose["unit"],
            dose["site"],
            dose["note"],
        )
        when = datetime.fromisoformat(row["occurred_at"])
        assert when.utcoffset() == timedelta(hours=1) or when.utcoffset() == timedelta(hours=2)
        assert when == datetime.fromisoformat(dose["occurred_at"].replace("Z", "+00:00"))
    corrected = [row for row in doses if row["correction"]]
    assert (
        len(corrected) == 1
        and corrected[0]["correction"].startswith("corrects entry ")
        and "typo" in corrected[0]["correction"]
    )
    metrics = {row["type"]: row for row in csv.DictReader(io.StringIO(archive.read("metric.csv").decode()))}
    assert (metrics["weight"]["value"], metrics["weight"]["unit"]) == ("179.7", "lb")  # 81.5 kg in the person's unit
    assert (metrics["glucose"]["value"], metrics["glucose"]["unit"]) == ("94", "mg/dL")
    assert (metrics["blood_pressure"]["value"], metrics["blood_pressure"]["value2"]) == ("128", "82")


LOINC = {
    "Body weight": "29463-7",
    "Heart rate": "8867-4",
    "Total testosterone": "2986-8",
    "PSA": "2857-1",
    "HbA1c": "4548-4",
    "Glucose": "2345-7",
    "Blood pressure": "85354-9",
}


def test_the_fhir_bundle_and_every_resource_validate(world):
    bundle = json.loads(body(world["alice"].get("/api/v1/export.fhir.json")))
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    kinds = {}
    for item in bundle["entry"]:
        resource = item["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        kinds.setdefault(resource["resourceType"], []).append(resource)
    assert set(kinds) == {"Patient", "MedicationAdministration", "Observation", "AdverseEvent"}
    statuses = sorted(r["status"] for r in kinds["MedicationAdministration"])
    assert statuses == ["completed", "completed", "entered-in-error", "entered-in-error"]
    codes = {o["code"]["text"]: o["code"].get("coding", [{}])[0].get("code") for o in kinds["Observation"]}
    assert codes["Weight"] == LOINC["Body weight"] and codes["Resting heart rate"] == LOINC["Heart rate"]
    assert codes["Total testosterone"] == LOINC["Total testosterone"] and codes["PSA"] == LOINC["PSA"]
    assert codes["HbA1c"] == LOINC["HbA1c"] and codes["Glucose"] == LOINC["Glucose"]
    assert codes["Blood pressure"] == LOINC["Blood pressure"] and codes["Body fat"] is None
    pressure = next(o for o in kinds["Observation"] if o["code"]["text"] == "Blood pressure")
    assert [c["code"]["coding"][0]["code"] for c in pressure["component"]] == ["8480-6", "8462-4"]
    assert [c["valueQuantity"]["value"] for c in pressure["component"]] == [128, 82]
    testosterone = next(o for o in kinds["Observation"] if o["code"]["text"] == "Total testosterone")
    assert (
        testosterone["valueQuantity"]["unit"] == "ng/dL" and testosterone["valueQuantity"]["value"] == 525
    )  # 18.2 × 28.842
    glucose = next(o for o in kinds["Observation"] if o["code"]["text"] == "Glucose")
    assert glucose["valueQuantity"] == {
        "value": 94,
        "unit": "mg/dL",
        "system": "http://unitsofmeasure.org",
        "code": "mg/dL",
    }
    event = kinds["AdverseEvent"][0]
    assert event["severity"]["coding"][0]["code"] == "moderate" and event["event"]["text"] == "ALICE-MARKER headache"
    patient = bundle["entry"][0]["fullUrl"]
    assert all(r["subject"]["reference"] == patient for t, rs in kinds.items() if t != "Patient" for r in rs)


def test_revoking_the_calling_token_ends_it_and_only_it(alice):
    first, second = Api(issue_token(alice, "phone")), Api(issue_token(alice, "script"))
    response = first.client.delete("/api/v1/auth/token", headers={"Authorization": f"Bearer {first.token}"})
    assert response.status_code == 204
    assert first.get("/api/v1/doses").status_code == 401
    assert second.get("/api/v1/doses").status_code == 200
    assert Api().client.delete("/api/v1/auth/token").status_code == 401
