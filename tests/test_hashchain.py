"""What feeds the hashes and signatures must keep its exact text: a faster way to the same bytes, never other bytes."""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from shotlee.lib.hashchain import canonical_bytes, format_time, sign_checkpoint

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
