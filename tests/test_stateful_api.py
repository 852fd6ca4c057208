"""T21: a stateful, model-based test of the dose API (Hypothesis RuleBasedStateMachine).

Hypothesis runs random sequences of what a client does — record a dose (at a back-dated time, possibly
acknowledging the warnings it expects), retry an earlier request with the same Idempotency-Key, retry a dose
with the same client_entry_id and no key, correct a dose, void one, and advance the clock — through the
real API (the Django test client), and mirrors each step in a plain-Python reference model of the effective
history. The model knows the protocol's limits and decides every warning by brute force over the effective
doses; it knows nothing of the app's neighbour queries.

After every step:
- every response equals the model's (status; warning codes; ids, seqs and hashes of replays);
- the effective doses the API lists equal the model's;
- the ledger verifies and its seqs run 1..n with no gap, n = the model's count of records;
- history invariants that hold whatever the model says: no two effective doses are closer than the minimum
  interval, no dose is above the maximum, no rolling window exceeds its cap, no two equal amounts lie within
  the duplicate window, unless the later-recorded dose of the pair (or window) acknowledged that warning.

Bounded: max_examples x stateful_step_count (docs/reliability.md gives the figures).
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from shotlee.accounts.services import issue_token
from tests.conftest import Api, make_protocol, make_user

EXAMPLES = 12
STEPS = 30

MIN_INTERVAL = timedelta(hours=24)
MAX_SINGLE = Decimal("2")
WINDOW = timedelta(hours=168)
WINDOW_MAX = Decimal("3")
DUPLICATE = timedelta(minutes=30)  # DUPLICATE_WINDOW_MINUTES, the default
PROTOCOL = {
    "name": "Stateful test",
    "dose": "1",
    "unit": "mg",
    "interval_hours": 168,
    "min_interval_hours": 24,
    "max_single_dose": str(MAX_SINGLE),
    "window_hours": 168,
    "window_max": str(WINDOW_MAX),
    "starts_on": "2024-01-01",
}

AMOUNTS = st.sampled_from(["0.5", "1", "1.5", "2.5"])
# Hours before the clock: both sides of the minimum interval (24 h, inclusive), the duplicate window and the cap's
# window (168 h).
BACK = st.sampled_from(["0", "0.25", "23.999", "24", "25", "100", "167.9", "168"])
ADVANCE = st.sampled_from([1, 24, 72, 200])
_names = itertools.count()


def hours(text: str) -> timedelta:
    return timedelta(microseconds=int(Decimal(text) * 3600 * 1_000_000))


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass
class Dose:
    seq: int
    uid: str
    at: datetime
    amount: Decimal


@dataclass
class Sent:
    """A request as a client keeps it to retry: the same path, body and key."""

    path: str
    body: dict[str, Any]
    key: str
    kind: str  # add | correct | void
    status: int = 0
    response: dict[str, Any] = field(default_factory=dict)


class Model:
    """The reference: the effective doses of one protocol, and what the rules say about a candidate."""

    def __init__(self, first_seq: int):
        self.records = first_seq  # ledger records so far (the protocol's first version is one)
        self.effective: dict[str, Dose] = {}  # uid -> dose
        self.replaced: set[str] = set()  # uids of doses a void or correction replaced
        self.doses: list[str] = []  # uids of every dose record, in the order recorded (targets to draw from)
        self.by_client_id: dict[str, dict[str, Any]] = {}  # client_entry_id -> the 201 body

    def warnings(self, at: datetime, amount: Decimal, without: str | None = None) -> set[str]:
        others = [d for uid, d in self.effective.items() if uid != without]
        fired = set()
        if any(abs(d.at - at) < MIN_INTERVAL for d in others):
            fired.add("too_soon")
        if amount > MAX_SINGLE:
            fired.add("over_single_max")
        starts = [d.at for d in others if at - WINDOW < d.at <= at] + [at]
        everything = [(d.at, d.amount) for d in others] + [(at, amount)]
        if any(sum(a for t, a in everything if s <= t < s + WINDOW) > WINDOW_MAX for s in starts):
            fired.add("over_window_max")
        if any(d.amount == amount and abs(d.at - at) < DUPLICATE for d in others):
            fired.add("possible_duplicate")
        return fired


class DoseApi(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        user = make_user(f"state{next(_names)}")
        self.api = Api(issue_token(user))
        self.protocol = make_protocol(self.api, compound="semaglutide", **PROTOCOL)["id"]
        self.model = Model(first_seq=1)
        self.clock = datetime.now(UTC).replace(microsecond=0) - timedelta(days=40)
        self.sent: list[Sent] = []

    # ---- helpers

    def post(self, sent: Sent, with_key: bool = True):
        headers = {"Idempotency-Key": sent.key} if with_key else {}
        return self.api.post(sent.path, sent.body, headers=headers)

    def apply_created(self, sent: Sent, body: dict[str, Any], replaces: str | None) -> None:
        self.model.records += 1
        assert body["seq"] == self.model.records, (body["seq"], self.model.records)
        if replaces is not None:
            self.model.effective.pop(replaces)
            self.model.replaced.add(replaces)
        if sent.kind in ("add", "correct"):
            dose = Dose(body["seq"], body["id"], parse_time(body["occurred_at"]), Decimal(body["amount"]))
            self.model.effective[dose.uid] = dose
            self.model.doses.append(dose.uid)
        if sent.kind == "add":
            self.model.by_client_id[sent.body["client_entry_id"]] = body

    def expect(self, sent: Sent) -> tuple[int, set[str], str | None]:
        """What the model says this request gets now: status, warning codes (409), the uid it replaces (201).

        A dose whose client_entry_id was recorded already is answered by the `replay` path instead.
        """
        body = sent.body
        if sent.kind == "add":
            assert body["client_entry_id"] not in self.model.by_client_id
            fired = self.model.warnings(parse_time(body["occurred_at"]), Decimal(body["amount"]))
        else:
            target = sent.path.split("/")[4]
            if target not in self.model.effective:
                return 409, set(), None  # already voided or corrected: refused, nothing to acknowledge
            if sent.kind == "void":
                return 201, set(), target
            old = self.model.effective[target]
            at = parse_time(body["occurred_at"]) if "occurred_at" in body else old.at
            fired = self.model.warnings(at, Decimal(body.get("amount", old.amount)), without=target)
            if fired <= set(body.get("acknowledge", [])):
                return 201, set(), target
            return 409, fired, None
        if fired <= set(body.get("acknowledge", [])):
            return 201, set(), None
        return 409, fired, None

    def send_new(self, sent: Sent) -> None:
        status, codes, replaces = self.expect(sent)
        response = self.post(sent)
        assert response.status_code == status, (sent.kind, sent.body, status, codes, response.content)
        sent.status, sent.response = status, response.json()
        if status == 201:
            self.apply_created(sent, sent.response, replaces)
        elif codes:
            assert {w["code"] for w in sent.response["warnings"]} == codes, (sent.body, sent.response)
        self.sent.append(sent)

    def dose_body(self, back: str, amount: str, acknowledge: bool) -> dict[str, Any]:
        at = self.clock - hours(back)
        body = {
            "protocol": self.protocol,
            "amount": amount,
            "occurred_at": at.isoformat(),
            "client_entry_id": str(uuid.uuid4()),
        }
        if acknowledge:
            body["acknowledge"] = sorted(self.model.warnings(at, Decimal(amount)))
        return body

    # ---- what a client does

    @rule(back=BACK, amount=AMOUNTS, acknowledge=st.booleans())
    def add_dose(self, back: str, amount: str, acknowledge: bool) -> None:
        body = self.dose_body(back, amount, acknowledge)
        self.send_new(Sent("/api/v1/doses", body, f"add-{uuid.uuid4()}", "add"))

    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    def retry_with_the_same_key(self, data: st.DataObject) -> None:
        """An earlier request again, same key and body: a stored 201 is replayed; a refusal is evaluated again."""
        sent = data.draw(st.sampled_from(self.sent))
        if sent.status == 201:
            response = self.post(sent)
            assert response.status_code == 201 and response.headers.get("Idempotent-Replayed") == "true"
            assert response.json() == sent.response
            return
        if sent.kind == "add" and sent.body["client_entry_id"] in self.model.by_client_id:
            response = self.post(sent)  # recorded since, without this key: answered with that record, now stored
            self.assert_same_record(response, self.model.by_client_id[sent.body["client_entry_id"]])
            sent.status, sent.response = 201, response.json()
            return
        status, codes, replaces = self.expect(sent)
        response = self.post(sent)
        assert response.status_code == status, (sent.kind, sent.body, status, codes, response.content)
        if status == 201:
            sent.status, sent.response = 201, response.json()
            self.apply_created(sent, sent.response, replaces)
        elif codes:
            assert {w["code"] for w in response.json()["warnings"]} == codes

    @staticmethod
    def assert_same_record(response, earlier: dict[str, Any]) -> None:
        assert response.status_code == 201, response.content
        got = response.json()
        assert {k: got[k] for k in ("id", "seq", "hash")} == {k: earlier[k] for k in ("id", "seq", "hash")}

    @precondition(lambda self: any(s.kind == "add" for s in self.sent))
    @rule(data=st.data())
    def retry_with_the_same_client_entry_id(self, data: st.DataObject) -> None:
        """A dose sent again with its client_entry_id and no key (a device that lost the answer)."""
        sent = data.draw(st.sampled_from([s for s in self.sent if s.kind == "add"]))
        earlier = self.model.by_client_id.get(sent.body["client_entry_id"])
        if earlier is None:
            status, codes, _ = self.expect(sent)
            response = self.post(sent, with_key=False)
            assert response.status_code == status, (sent.body, status, codes, response.content)
            if status == 201:
                self.apply_created(sent, response.json(), None)
            return
        self.assert_same_record(self.post(sent, with_key=False), earlier)

    @precondition(lambda self: self.model.doses)
    @rule(data=st.data(), back=st.none() | BACK, amount=st.none() | AMOUNTS, acknowledge=st.booleans())
    def correct(self, data: st.DataObject, back: str | None, amount: str | None, acknowledge: bool) -> None:
        target = data.draw(st.sampled_from(self.model.doses))
        body: dict[str, Any] = {"action": "correct", "reason": "typed the wrong value"}
        if back is not None:
            body["occurred_at"] = (self.clock - hours(back)).isoformat()
        if amount is not None or back is None:
            body["amount"] = amount or "0.5"
        if acknowledge and target in self.model.effective:
            old = self.model.effective[target]
            at = parse_time(body["occurred_at"]) if "occurred_at" in body else old.at
            new_amount = Decimal(body["amount"]) if "amount" in body else old.amount
            body["acknowledge"] = sorted(self.model.warnings(at, new_amount, without=target))
        self.send_new(Sent(f"/api/v1/entries/{target}/corrections", body, f"fix-{uuid.uuid4()}", "correct"))

    @precondition(lambda self: self.model.doses)
    @rule(data=st.data())
    def void(self, data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(self.model.doses))
        body = {"action": "void", "reason": "entered in error"}
        self.send_new(Sent(f"/api/v1/entries/{target}/corrections", body, f"void-{uuid.uuid4()}", "void"))

    @rule(by=ADVANCE)
    def advance_clock(self, by: int) -> None:
        self.clock = min(self.clock + timedelta(hours=by), datetime.now(UTC) - timedelta(minutes=1))

    # ---- after every step

    @invariant()
    def the_api_lists_the_models_effective_doses(self) -> None:
        response = self.api.get("/api/v1/doses", {"limit": 200})
        assert response.status_code == 200
        listed = {d["id"]: (parse_time(d["occurred_at"]), Decimal(d["amount"])) for d in response.json()["items"]}
        assert listed == {uid: (d.at, d.amount) for uid, d in self.model.effective.items()}
        self.check_history(response.json()["items"])

    def check_history(self, items: list[dict[str, Any]]) -> None:
        """Whatever the model says: every rule a pair or window breaks was acknowledged by its latest record."""
        doses = [
            (d["seq"], parse_time(d["occurred_at"]), Decimal(d["amount"]), {w["code"] for w in d["warnings"]})
            for d in items
        ]
        for seq, at, amount, acked in doses:
            earlier = [(t, a) for s, t, a, _ in doses if s < seq]
            if any(abs(t - at) < MIN_INTERVAL for t, _ in earlier):
                assert "too_soon" in acked, (seq, "too_soon")
            if amount > MAX_SINGLE:
                assert "over_single_max" in acked, (seq, "over_single_max")
            if any(a == amount and abs(t - at) < DUPLICATE for t, a in earlier):
                assert "possible_duplicate" in acked, (seq, "possible_duplicate")
            window = [*earlier, (at, amount)]
            starts = [t for t, _ in window if at - WINDOW < t <= at]
            if any(sum(a for t, a in window if s <= t < s + WINDOW) > WINDOW_MAX for s in starts):
                assert "over_window_max" in acked, (seq, "over_window_max")

    @invariant()
    def the_ledger_verifies_with_no_gap(self) -> None:
        verdict = self.api.get("/api/v1/ledger/verify").json()
        assert verdict["ok"] is True and verdict["first_bad_seq"] is None, verdict
        assert verdict["entries"] == self.model.records
        seqs = [e["seq"] for e in self.api.get("/api/v1/ledger", {"limit": 1000}).json()["items"]]
        assert seqs == list(range(1, self.model.records + 1))


def test_the_api_matches_its_reference_model_step_by_step(db):
    run_state_machine_as_test(
        DoseApi,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            # No shrinking: it can take minutes (Hypothesis allows itself 5); a failure prints its whole sequence.
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
