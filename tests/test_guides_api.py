"""The guide endpoints (public) and protocols started from a guide's regimen: prefilled settings with the
guide version recorded, overrides, schedule status (next due, missed, ladder step), class overlap from the
guide library's classes, and ownership.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shotlee.accounts.services import issue_token
from shotlee.guides.loader import load_guides
from shotlee.guides.models import Guide
from shotlee.protocols.models import Protocol
from tests.conftest import Api, make_user

ALL = {
    "dutasteride-mesotherapy",
    "dutasteride-oral",
    "finasteride-oral",
    "finasteride-topical",
    "minoxidil-oral-low-dose",
    "minoxidil-topical",
    "semaglutide",
    "semaglutide-oral",
    "tirzepatide",
    "testosterone-cypionate",
    "testosterone-enanthate",
}
WEGOVY = {"guide": "semaglutide", "regimen": "wegovy-weekly-ladder"}


@pytest.fixture(autouse=True)
def guides(db):
    load_guides()


@pytest.fixture
def anonymous() -> Api:
    return Api()


def slugs(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["slug"] for item in response.json()["items"]}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def dose(api: Api, protocol: dict, amount: str, when: datetime, **extra):
    return api.post(
        "/api/v1/doses", {"protocol": protocol["id"], "amount": amount, "occurred_at": when.isoformat(), **extra}
    )


def create(api: Api, **body) -> dict:
    response = api.post("/api/v1/protocols", body)
    assert response.status_code == 201, response.content
    return response.json()


# --- GET /api/v1/guides ---------------------------------------------------------------------------------


def test_the_guide_list_is_public_and_holds_every_guide(anonymous):
    response = anonymous.get("/api/v1/guides")
    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == len(ALL)
    assert {i["slug"] for i in items} == ALL
    assert [i["slug"] for i in items if "[S:" in i["summary"]] == []  # list summaries are plain text
    semaglutide = next(i for i in items if i["slug"] == "semaglutide")
    assert semaglutide["drug_class"] == "incretin agonist"
    assert semaglutide["route"] == "subcutaneous"
    assert semaglutide["goals"] == ["weight loss", "type 2 diabetes"]
    assert semaglutide["version"] == Guide.objects.get(slug="semaglutide").content_hash


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "dutasteride"}, {"dutasteride-mesotherapy", "dutasteride-oral"}),
        ({"q": "DUTASTERIDE"}, {"dutasteride-mesotherapy", "dutasteride-oral"}),
        ({"q": "minoxidil"}, {"minoxidil-topical", "minoxidil-oral-low-dose"}),
        ({"drug_class": "incretin agonist"}, {"semaglutide", "semaglutide-oral", "tirzepatide"}),
        ({"drug_class": "androgen"}, {"testosterone-cypionate", "testosterone-enanthate"}),
        ({"route": "intradermal"}, {"dutasteride-mesotherapy"}),
        ({"route": "oral"}, {"dutasteride-oral", "finasteride-oral", "minoxidil-oral-low-dose", "semaglutide-oral"}),
        ({"goal": "weight loss"}, {"semaglutide", "tirzepatide"}),
        ({"goal": "testosterone replacement"}, {"testosterone-cypionate", "testosterone-enanthate"}),
        ({"goal": "hair loss", "route": "topical"}, {"finasteride-topical", "minoxidil-topical"}),
        ({"q": "dutasteride", "route": "oral"}, {"dutasteride-oral"}),
        ({"q": "no-such-compound-anywhere"}, set()),
        ({"drug_class": "not a class"}, set()),
    ],
    ids=lambda v: str(v),
)
def test_the_guide_list_filters(anonymous, params, expected):
    assert slugs(anonymous.get("/api/v1/guides", params)) == expected


def test_a_signed_in_person_sees_the_same_list(alice_api, anonymous):
    assert slugs(alice_api.get("/api/v1/guides")) == slugs(anonymous.get("/api/v1/guides")) == ALL


# --- GET /api/v1/guides/{slug} --------------------------------------------------------------------------


def test_a_guide_comes_whole_with_its_regimens(anonymous):
    response = anonymous.get("/api/v1/guides/semaglutide")
    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "semaglutide" and body["drug_class"] == "incretin agonist"
    assert body["version"] == Guide.objects.get(slug="semaglutide").content_hash
    for field in ("title", "summary", "deep_dive", "mechanism", "faq", "sources", "sites", "side_effects"):
        assert body[field], field
    regimens = {r["key"]: r for r in body["regimens"]}
    assert {"wegovy-weekly-ladder", "ozempic-weekly-ladder"} <= set(regimens)
    wegovy = regimens["wegovy-weekly-ladder"]
    assert set(wegovy) >= {
        "key",
        "label",
        "dose",
        "unit",
        "route",
        "interval",
        "ladder",
        "course",
        "limits",
        "sources",
        "notes",
    }
    assert (wegovy["dose"], wegovy["unit"], wegovy["route"]) == ("0.25", "mg", "subcutaneous")
    assert wegovy["interval"] == {"every": 1, "unit": "weeks"}
    assert [s["dose"] for s in wegovy["ladder"]] == ["0.25", "0.5", "1", "1.7", "2.4"]
    assert wegovy["limits"] == {
        "min_interval_hours": None,
        "max_single_dose": "2.4",
        "window_hours": None,
        "window_max": None,
    }
    assert wegovy["sources"] and all(
        s["url"].startswith("http") and s["citation"] and s["key"] for s in wegovy["sources"]
    )
    assert regimens["ozempic-weekly-ladder"]["limits"]["min_interval_hours"] == 48


def test_the_dutasteride_mesotherapy_guide_has_the_quarterly_regimen_and_a_window_elsewhere(anonymous):
    body = anonymous.get("/api/v1/guides/dutasteride-mesotherapy").json()
    quarterly = next(r for r in body["regimens"] if r["key"] == "quarterly-0-1-mg")
    assert (quarterly["dose"], quarterly["unit"], quarterly["interval"]) == (
        "0.1",
        "mg",
        {"every": 3, "unit": "months"},
    )
    assert quarterly["limits"] == {
        "min_interval_hours": None,
        "max_single_dose": None,
        "window_hours": None,
        "window_max": None,
    }
    assert {s["key"] for s in quarterly["sources"]} >= {"saceda-2022"}
    assert body["standardized"] is False and "standardized protocol" in body["standardization_note"]
    minoxidil = anonymous.get("/api/v1/guides/minoxidil-topical").json()
    limits = minoxidil["regimens"][0]["limits"]
    assert (limits["window_hours"], limits["window_max"]) == (24, "2")


def test_an_unknown_guide_is_404(anonymous):
    assert anonymous.get("/api/v1/guides/no-such-guide").status_code == 404


# --- POST /api/v1/protocols from a guide ----------------------------------------------------------------


def test_a_protocol_from_a_regimen_is_prefilled_and_records_the_guide_version(alice_api):
    response = alice_api.post("/api/v1/protocols", WEGOVY)
    assert response.status_code == 201, response.content
    body = response.json()
    guide = Guide.objects.get(slug="semaglutide")
    assert body["compound"] == "semaglutide"
    assert (body["dose"], body["unit"], body["route"]) == ("0.25", "mg", "subcutaneous")
    assert body["schedule"] == {"every": 1, "unit": "weeks"}
    assert len(body["ladder"]) == 5
    assert body["ladder"][0] == {"dose": "0.25", "weeks": 4} and body["ladder"][-1] == {"dose": "2.4"}
    assert body["max_single_dose"] == "2.4"
    assert body["sites"] == guide.regimen("wegovy-weekly-ladder")["sites"]
    assert (body["guide"], body["regimen"], body["guide_version"]) == (
        "semaglutide",
        "wegovy-weekly-ladder",
        guide.content_hash,
    )
    assert body["drug_class"] == "incretin agonist"
    stored = Protocol.objects.get(uid=body["id"])
    assert stored.current.guide_version == guide.content_hash
    fetched = alice_api.get(f"/api/v1/protocols/{body['id']}").json()
    assert (fetched["guide"], fetched["regimen"], fetched["guide_version"]) == (
        "semaglutide",
        "wegovy-weekly-ladder",
        guide.content_hash,
    )


def test_fields_given_with_the_regimen_override_it(alice_api):
    body = create(
        alice_api, **WEGOVY, max_single_dose="1", sites=["abdomen left", "abdomen right"], starts_on="2026-03-02"
    )
    assert body["max_single_dose"] == "1"
    assert body["sites"] == ["abdomen left", "abdomen right"]
    assert body["starts_on"] == "2026-03-02"
    assert body["dose"] == "0.25" and len(body["ladder"]) == 5  # the rest still comes from the regimen
    assert body["guide"] == "semaglutide"


def test_an_override_that_breaks_the_regimen_dose_is_refused(alice_api):
    response = alice_api.post("/api/v1/protocols", {**WEGOVY, "max_single_dose": "0.1"})
    assert response.status_code == 422
    assert [d["loc"] for d in response.json()["detail"]] == [["body", "max_single_dose"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"guide": "no-such-guide", "regimen": "wegovy-weekly-ladder"}, "guide"),
        ({"guide": "semaglutide", "regimen": "no-such-regimen"}, "regimen"),
        ({"guide": "semaglutide"}, "regimen"),
        ({"guide": "tirzepatide", "regimen": "wegovy-weekly-ladder"}, "regimen"),
        ({"regimen": "wegovy-weekly-ladder"}, "regimen"),
    ],
    ids=["unknown-guide", "unknown-regimen", "no-regimen", "regimen-of-another-guide", "regimen-without-guide"],
)
def test_an_unknown_guide_or_regimen_is_422_naming_the_field(alice_api, body, field):
    response = alice_api.post("/api/v1/protocols", body)
    assert response.status_code == 422, response.content
    assert ["body", field] in [d["loc"] for d in response.json()["detail"]]
    assert not Protocol.objects.exists()


def test_guide_based_protocols_need_a_token(anonymous):
    assert anonymous.post("/api/v1/protocols", WEGOVY).status_code == 401
    assert not Protocol.objects.exists()


# --- schedule status: next due, missed, ladder step -----------------------------------------------------


def test_before_any_dose_next_due_is_the_start_at_nine_local(db):
    dora = make_user("dora", "Europe/Berlin")
    api = Api(issue_token(dora))
    protocol = create(api, **WEGOVY, starts_on="2026-01-15")
    body = api.get(f"/api/v1/protocols/{protocol['id']}").json()
    assert at(body["next_due_at"]) == datetime(2026, 1, 15, 8, 0, tzinfo=UTC)  # 09:00 in Berlin (CET)
    assert body["ladder_step"] == 1 and body["dose_now"] == "0.25"
    summer = create(api, **WEGOVY, starts_on="2026-07-15")
    summer_body = api.get(f"/api/v1/protocols/{summer['id']}").json()
    assert at(summer_body["next_due_at"]) == datetime(2026, 7, 15, 7, 0, tzinfo=UTC)  # 09:00 CEST


def test_before_any_dose_a_utc_person_is_due_at_nine_on_the_start_date(alice_api):
    today = datetime.now(UTC).date()
    protocol = create(alice_api, **WEGOVY, starts_on=today.isoformat())
    body = alice_api.get(f"/api/v1/protocols/{protocol['id']}").json()
    assert at(body["next_due_at"]) == datetime(today.year, today.month, today.day, 9, 0, tzinfo=UTC)
    assert body["ladder_step"] == 1 and body["dose_now"] == "0.25"


def test_after_a_dose_next_due_is_one_week_after_it(alice_api):
    protocol = create(alice_api, **WEGOVY)
    taken = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
    assert dose(alice_api, protocol, "0.25", taken).status_code == 201
    body = alice_api.get(f"/api/v1/protocols/{protocol['id']}").json()
    assert at(body["next_due_at"]) == taken + timedelta(weeks=1)
    assert body["missed"] == 0
    assert body["ladder_step"] == 1 and body["dose_now"] == "0.25"


def test_next_due_follows_the_last_real_dose_and_late_doses_show_as_missed(alice_api):
    protocol = create(alice_api, **WEGOVY)
    taken = (datetime.now(UTC) - timedelta(weeks=3, days=1)).replace(microsecond=0)
    assert dose(alice_api, protocol, "0.25", taken).status_code == 201
    body = alice_api.get(f"/api/v1/protocols/{protocol['id']}").json()
    assert at(body["next_due_at"]) == taken + timedelta(weeks=1)  # late, not moved forward to a planned date
    assert body["missed"] == 3  # due 2w+1d, 1w+1d and 1d ago
    list_item = next(p for p in alice_api.get("/api/v1/protocols").json()["items"] if p["id"] == protocol["id"])
    assert list_item["missed"] == 3 and list_item["next_due_at"] == body["next_due_at"]


def test_the_ladder_steps_up_after_four_weekly_doses_not_four_weeks_of_calendar(alice_api):
    protocol = create(alice_api, **WEGOVY)
    now = datetime.now(UTC).replace(microsecond=0)
    assert dose(alice_api, protocol, "0.25", now - timedelta(weeks=5)).status_code == 201
    body = alice_api.get(f"/api/v1/protocols/{protocol['id']}").json()
    assert body["ladder_step"] == 1 and body["dose_now"] == "0.25"  # five weeks since, one dose: not advanced
    for weeks_ago in (4, 3, 2):
        assert dose(alice_api, protocol, "0.25", now - timedelta(weeks=weeks_ago)).status_code == 201
    body = alice_api.get(f"/api/v1/protocols/{protocol['id']}").json()
    assert body["ladder_step"] == 2 and body["dose_now"] == "0.5"  # four doses of 0.25 mg taken: the second step
    last = now - timedelta(weeks=1)
    assert dose(alice_api, protocol, "0.5", last).status_code == 201
    body = alice_api.get(f"/api/v1/protocols/{protocol['id']}").json()
    assert body["ladder_step"] == 2 and body["dose_now"] == "0.5"
    assert at(body["next_due_at"]) == last + timedelta(weeks=1)


def test_the_ladder_counts_from_the_first_dose_not_the_start_date(alice_api):
    protocol = create(alice_api, **WEGOVY, starts_on=(datetime.now(UTC) - timedelta(weeks=10)).date().isoformat())
    body = alice_api.get(f"/api/v1/protocols/{protocol['id']}").json()
    assert body["ladder_step"] == 1 and body["dose_now"] == "0.25"
    assert dose(alice_api, protocol, "0.25", datetime.now(UTC) - timedelta(days=1)).status_code == 201
    assert alice_api.get(f"/api/v1/protocols/{protocol['id']}").json()["ladder_step"] == 1


# --- class overlap uses the guide library's classes -----------------------------------------------------


def regimen_of(slug: str, index: int = 0) -> str:
    return Guide.objects.get(slug=slug).data["regimens"][index]["key"]


@pytest.mark.parametrize(
    ("first", "second", "cls"),
    [
        ("minoxidil-topical", "minoxidil-oral-low-dose", "minoxidil"),
        ("semaglutide", "tirzepatide", "incretin agonist"),
        ("finasteride-oral", "dutasteride-mesotherapy", "5-alpha-reductase inhibitor"),
    ],
)
def test_a_dose_of_one_guide_protocol_warns_class_overlap_naming_the_other(alice_api, first, second, cls):
    a = create(alice_api, guide=first, regimen=regimen_of(first))
    b = create(alice_api, guide=second, regimen=regimen_of(second))
    assert a["drug_class"] == b["drug_class"] == cls
    when = datetime.now(UTC) - timedelta(hours=1)
    for this, other in ((a, b), (b, a)):
        refused = dose(alice_api, this, this["dose"], when)
        assert refused.status_code == 409, refused.content
        warning = next(w for w in refused.json()["warnings"] if w["code"] == "class_overlap")
        assert other["name"] in warning["message"]
        assert this["name"] not in warning["message"].split(": ", 1)[1]
    codes = [w["code"] for w in dose(alice_api, a, a["dose"], when).json()["warnings"]]
    assert dose(alice_api, a, a["dose"], when, acknowledge=codes).status_code == 201


def test_guides_of_different_classes_do_not_overlap(alice_api):
    a = create(alice_api, **WEGOVY)
    create(alice_api, guide="finasteride-oral", regimen=regimen_of("finasteride-oral"))
    response = dose(alice_api, a, "0.25", datetime.now(UTC) - timedelta(hours=1))
    assert response.status_code == 201, response.content


# --- ownership ------------------------------------------------------------------------------------------


def test_another_persons_guide_based_protocol_is_404_for_bob(alice_api, bob_api):
    protocol = create(alice_api, **WEGOVY)
    assert bob_api.get(f"/api/v1/protocols/{protocol['id']}").status_code == 404
    assert bob_api.patch(f"/api/v1/protocols/{protocol['id']}", {"max_single_dose": "1"}).status_code == 404
    assert dose(bob_api, protocol, "0.25", datetime.now(UTC) - timedelta(hours=1)).status_code == 404
    assert bob_api.get("/api/v1/protocols").json()["items"] == []
    assert alice_api.get(f"/api/v1/protocols/{protocol['id']}").json()["max_single_dose"] == "2.4"
