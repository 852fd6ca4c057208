"""Property tests over every input path (issue 12): the classes of bad input found from outside — numbers too
small, too large or too precise, times that do not convert to UTC or are not times at all, text the database
cannot store (NUL, lone surrogates) — drive the API and the page forms. Whatever comes in, the answer is never a
500, and a refusal changes nothing. A new field, endpoint or page belongs in the tables below."""

from __future__ import annotations

import json
import string
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shotlee.ledger.models import Entry
from shotlee.lib import rules
from shotlee.metrics.models import MetricType
from tests.conftest import Api, make_protocol

EXAMPLES = 40
RUN = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text: anything, with the characters a database refuses (NUL, lone surrogates) and control characters favoured.
nasty_char = st.characters(categories=["Cs", "Cc", "Zs", "Lu", "Ll", "Nd", "So"])
texts = st.one_of(st.text(max_size=30), st.text(nasty_char, max_size=30), st.just("\x00"), st.just("a\x00b"))

# Numbers: exact, tiny, huge, very precise, non-finite; as JSON numbers and as strings.
exponent_strings = st.builds(
    lambda sign, digits, exp: f"{sign}{digits}e{exp}",
    st.sampled_from(["", "-"]),
    st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,8})?", fullmatch=True),
    st.integers(-999999999, 999999999),
)
numbers = st.one_of(
    st.integers(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    exponent_strings,
    st.sampled_from(["9e-999999999", "1e999999999", "1e23", "1e100", "10000000000000", "0", "-0", "NaN", "Infinity"]),
)

# Times: any instant with any offset from -14:00 to +14:00 (so some do not convert to UTC), epochs, and junk.
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
iso_times = st.builds(
    lambda dt, tz: dt.replace(tzinfo=tz).isoformat(),
    st.datetimes(min_value=datetime.min, max_value=datetime.max),
    offsets,
)
edge_times = st.sampled_from(
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1899-12-31T23:59:59Z", "2026-01-31T08:00:00"]
)
times = st.one_of(iso_times, edge_times, st.floats(allow_nan=False), st.integers(), texts)
anything = st.one_of(texts, numbers, times, st.none(), st.booleans(), st.lists(texts, max_size=3))


def entries(user) -> int:
    return Entry.objects.for_user(user).count()


def check_api(api: Api, user, method: str, path: str, body: dict[str, Any]) -> None:
    before = entries(user)
    if method == "post":
        response = api.post(path, raw=json.dumps(body))
    else:
        response = api.get(path, body)
    assert response.status_code < 500, (path, body, response.content)
    if response.status_code >= 400:
        assert entries(user) == before, (path, body)
        detail = response.json()["detail"]
        assert detail, (path, body)


# (path, a valid body, {field: strategy}): each example replaces one or more fields with hostile values.
ACK = list(rules.CODES)
WRITES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "/api/v1/doses",
        {"compound": "finasteride", "unit": "mg", "amount": "1", "route": "oral", "acknowledge": ACK},
        {"amount": numbers, "occurred_at": times, "note": texts, "site": texts, "compound": texts, "unit": texts},
    ),
    (
        "/api/v1/side-effects",
        {"symptom": "headache", "severity": 3},
        {"symptom": texts, "severity": anything, "started_at": times, "ended_at": times, "note": texts, "site": texts},
    ),
    (
        "/api/v1/metrics",
        {"type": "weight", "value": "80", "unit": "kg"},
        {"type": texts, "value": numbers, "value2": numbers, "unit": texts, "measured_at": times, "note": texts},
    ),
    (
        "/api/v1/metrics",
        {"type": "blood_pressure", "value": "120", "value2": "80"},
        {"value": numbers, "value2": numbers, "unit": texts},
    ),
    (
        "/api/v1/metric-types",
        {"name": "Steps", "unit": "steps"},
        {"name": texts, "unit": texts, "min": numbers, "max": numbers},
    ),
    (
        "/api/v1/protocols",
        {"compound": "finasteride", "dose": "1", "unit": "mg", "route": "oral", "interval_hours": 24},
        {
            "compound": texts,
            "name": texts,
            "dose": numbers,
            "interval_hours": numbers,
            "min_interval_hours": numbers,
            "max_single_dose": numbers,
            "window_hours": numbers,
            "window_max": numbers,
            "sites": st.lists(texts, max_size=3),
            "starts_on": texts,
            "schedule": st.dictionaries(st.sampled_from(["every", "unit", "weekdays"]), anything, max_size=2),
            "ladder": st.lists(st.dictionaries(st.sampled_from(["dose", "weeks"]), anything, max_size=2), max_size=3),
        },
    ),
    ("/api/v1/auth/token", {"username": "alice", "password": "x"}, {"username": texts, "password": texts}),
]


def hostile(fields: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields).filter(bool)


@pytest.mark.parametrize("path,valid,fields", WRITES, ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(WRITES)])
def test_no_write_answers_500_and_a_refusal_changes_nothing(alice, alice_api, path, valid, fields):
    @RUN
    @given(changes=hostile(fields))
    def run(changes: dict[str, Any]) -> None:
        check_api(alice_api, alice, "post", path, {**valid, **changes})

    run()


def test_no_correction_answers_500(alice, alice_api):
    protocol = make_protocol(alice_api)
    dose = alice_api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25"}).json()
    effect = alice_api.post("/api/v1/side-effects", {"symptom": "nausea", "severity": 2}).json()
    reading = alice_api.post("/api/v1/metrics", {"type": "weight", "value": 80}).json()
    fields = {
        "reason": texts,
        "amount": numbers,
        "occurred_at": times,
        "note": texts,
        "severity": anything,
        "ended_at": times,
        "value": numbers,
        "measured_at": times,
    }

    @RUN
    @given(target=st.sampled_from([dose, effect, reading]), changes=hostile(fields))
    def run(target: dict[str, Any], changes: dict[str, Any]) -> None:
        body = {"action": "correct", "reason": "typo", "acknowledge": ACK, **changes}
        check_api(alice_api, alice, "post", f"/api/v1/entries/{target['id']}/corrections", body)

    run()


READS: list[tuple[str, dict[str, Any]]] = [
    ("/api/v1/metrics", {"since": times, "until": times, "type": texts, "limit": anything}),
    ("/api/v1/side-effects", {"since": times, "until": times, "symptom": texts, "limit": anything}),
    ("/api/v1/doses", {"cursor": st.one_of(texts, iso_times.map(lambda t: t + "_1")), "limit": anything}),
    ("/api/v1/guides", {"q": texts, "route": texts, "drug_class": texts, "goal": texts}),
    ("/api/v1/ledger", {"after": anything, "limit": anything}),
]


@pytest.mark.parametrize("path,fields", READS, ids=[p for p, _ in READS])
def test_no_read_answers_500(alice, alice_api, path, fields):
    @RUN
    @given(params=st.fixed_dictionaries({}, optional=fields))
    def run(params: dict[str, Any]) -> None:
        query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
        query = {k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in query.items()}
        check_api(alice_api, alice, "get", path, query)

    run()


@given(slug=texts.filter(lambda s: "/" not in s and "?" not in s and "#" not in s))
@RUN
def test_no_guide_lookup_answers_500(db, slug):
    from urllib.parse import quote

    response = Client().get("/api/v1/guides/" + quote(slug.encode("utf-8", "surrogatepass"), safe=""))
    assert response.status_code < 500


# Page forms: what a browser would post, with hostile text in any field (a person cannot type a NUL, a script can).
# (A form post is UTF-8 bytes: a lone surrogate cannot be sent, so it becomes "?".)
form_text = st.one_of(texts, numbers.map(str), times.map(str)).map(
    lambda t: t.encode("utf-8", "replace").decode("utf-8")
)
PAGES: list[tuple[str, dict[str, str], list[str]]] = [
    (
        "/doses/log/",
        {"amount": "0.25", "unit": "mg"},
        ["amount", "unit", "site", "note", "occurred_at", "client_entry_id"],
    ),
    (
        "/side-effects/log/",
        {"symptom": "headache", "severity": "2"},
        ["symptom", "other", "severity", "started_at", "ended_at", "site", "note", "protocol"],
    ),
    (
        "/metrics/log/",
        {"type": "weight", "value": "80", "unit": "kg"},
        ["type", "value", "value2", "unit", "measured_at", "note", "protocol"],
    ),
    ("/metrics/types/", {"name": "Steps", "unit": "steps"}, ["name", "unit", "min", "max"]),
    (
        "/protocols/new/",
        {"compound": "finasteride", "dose": "1", "unit": "mg", "route": "oral", "every": "1", "every_unit": "days"},
        [
            "compound",
            "name",
            "dose",
            "unit",
            "route",
            "every",
            "every_unit",
            "min_interval",
            "min_interval_unit",
            "ladder",
            "starts_on",
            "max_single_dose",
            "window",
            "window_unit",
            "window_max",
            "sites",
            "guide",
            "regimen",
        ],
    ),
]


@pytest.mark.parametrize("path,valid,fields", PAGES, ids=[p for p, _, _ in PAGES])
def test_no_page_form_answers_500_and_a_refusal_changes_nothing(alice, alice_api, path, valid, fields):
    make_protocol(alice_api)
    client = Client()
    client.force_login(alice)

    @RUN
    @given(changes=st.fixed_dictionaries({}, optional=dict.fromkeys(fields, form_text)).filter(bool))
    def run(changes: dict[str, str]) -> None:
        before = entries(alice), MetricType.objects.for_user(alice).count()
        response = client.post(path, {**valid, **changes})
        assert response.status_code < 500, (path, changes)
        if response.status_code >= 400:
            assert (entries(alice), MetricType.objects.for_user(alice).count()) == before

    run()


PAGE_QUERIES = [
    "/guides/",
    "/metrics/",
    "/side-effects/",
    "/history/",
    "/doses/log/",
    "/metrics/log/",
    "/protocols/new/",
]


@pytest.mark.parametrize("path", PAGE_QUERIES)
def test_no_page_query_answers_500(alice, alice_api, path):
    make_protocol(alice_api)
    client = Client()
    client.force_login(alice)
    names = ["q", "type", "protocol", "symptom", "period", "before", "guide", "regimen", "class", "route", "goal"]

    @RUN
    @given(params=st.dictionaries(st.sampled_from(names), form_text, max_size=3))
    def run(params: dict[str, str]) -> None:
        assert client.get(path, params).status_code < 500, (path, params)

    run()


def test_the_strategies_reach_each_class_of_bad_input():
    """A property test that never generates the bad classes cannot find them: check the strategies do."""
    assert "\x00" in string.printable + "\x00"
    found = {"nul": False, "surrogate": False, "overflow_time": False, "tiny": False}

    @settings(max_examples=400, deadline=None)
    @given(t=texts, n=numbers, at=times)
    def probe(t: str, n: Any, at: Any) -> None:
        found["nul"] |= "\x00" in t
        found["surrogate"] |= any("\ud800" <= c <= "\udfff" for c in t)
        found["overflow_time"] |= isinstance(at, str) and at.startswith(("0001-01-01", "9999-12-31"))
        found["tiny"] |= isinstance(n, str) and "e-" in n

    probe()
    assert all(found.values()), found
