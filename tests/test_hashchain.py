"""What feeds the hashes and signatures must keep its exact text: a faster way to the same bytes, never other bytes."""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from shotlee.lib.hashchain import canonical_bytes, entry_digest, format_time, sign_checkpoint

ZONES = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))])


@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=ZONES))
def test_format_time_is_the_strftime_text_the_chain_was_built_with(value):
    """Years before 1000 included: there strftime's unpadded %Y is what was hashed, and must stay."""
    assert format_time(value) == value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_format_time_has_six_fractional_digits_even_on_the_second():
    assert format_time(datetime(2026, 3, 29, 1, 0, tzinfo=UTC)) == "2026-03-29T01:00:00.000000Z"


@given(st.text(max_size=40))
def test_canonical_bytes_hold_strings_in_nfc_whatever_form_they_came_in(text):
    nfc, nfd = unicodedata.normalize("NFC", text), unicodedata.normalize("NFD", text)
    assert canonical_bytes({"note": nfd, nfd: 1}) == canonical_bytes({"note": nfc, nfc: 1})
    assert canonical_bytes({"note": text}).decode() == f'{{"note":{json.dumps(nfc, ensure_ascii=False)}}}'


@given(st.binary(min_size=1, max_size=64), st.integers(1, 10**9), st.integers(1, 10**12), st.text(max_size=64))
def test_a_checkpoint_signature_is_hmac_sha256_of_the_tagged_message(key, user_id, seq, head_hash):
    message = b"shotlee:v1:checkpoint\x00" + f"{user_id}\x00{seq}\x00{head_hash}".encode()
    assert sign_checkpoint(key, user_id, seq, head_hash) == hmac.new(key, message, hashlib.sha256).hexdigest()


def test_a_record_hashes_to_the_bytes_and_digest_every_stored_chain_was_built_with():
    """A golden vector, computed with the code before any speed-up: times in other zones, NFD text, a decimal, JSON
    text inside a string, booleans and nulls. Every verify of stored data depends on these exact bytes."""
    record = {
        "v": 1,
        "user": 7,
        "seq": 42,
        "uid": "3f1c2a9e-8d7b-4c6a-9e5f-0a1b2c3d4e5f",
        "kind": "dose",
        "occurred_at": datetime(2026, 3, 29, 1, 30, 0, 250, tzinfo=timezone(timedelta(hours=-4))),
        "recorded_at": datetime(2026, 3, 29, 5, 31, tzinfo=UTC),
        "subject": None,
        "compound": "Cafe\u0301 dutasteride",
        "amount_micro": 500000,
        "unit": "mg",
        "target_seq": None,
        "payload": '{"note":"naïve \\"quoted\\" <b>","site":"vertex"}',
        "prev_hash": "ab" * 32,
        "extra": {"amount": Decimal("0.50"), "list": [True, None, 0, "é"]},
    }
    expected = (
        '{"amount_micro":500000,"compound":"Café dutasteride","extra":{"amount":"0.5","list":[true,null,0,"é"]},'
        '"kind":"dose","occurred_at":"2026-03-29T05:30:00.000250Z","payload":"{\\"note\\":\\"naïve '
        '\\\\\\"quoted\\\\\\" <b>\\",\\"site\\":\\"vertex\\"}","prev_hash":"'
        + "ab"
        * 32
        + '","recorded_at":"2026-03-29T05:31:00.000000Z","seq":42,"subject":null,"target_seq":null,'
        '"uid":"3f1c2a9e-8d7b-4c6a-9e5f-0a1b2c3d4e5f","unit":"mg","user":7,"v":1}'
    )
    assert canonical_bytes(record).decode() == expected
    assert entry_digest("ab" * 32, canonical_bytes(record)) == (
        "d081c42bf56565cf821d3d8c725f126545bec80f7970f236744b3b0517141980"
    )
    assert sign_checkpoint(b"k", 7, 42, "cd" * 32) == "ff2b42d9e1bc05e0e01d050afb361394d7a0839007fa8022b662232b514514be"
