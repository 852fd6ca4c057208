"""The two supply rules on their own (shotlee/lib/rules.py): expired_supply and insufficient_supply."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from shotlee.lib import rules
from shotlee.lib.rules import Case, Dose, Limits, Neighbours, Supply
from shotlee.lib.units import Unit

T = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
VIAL = "Semaglutide vial"


def case(amount_micro: int = 250_000, unit: Unit = Unit.MG, supply: Supply | None = None, tz=UTC) -> Case:
    return Case(
        candidate=Dose(T, amount_micro, unit),
        limits=Limits(Unit.MG),
        neighbours=Neighbours(),
        compound="semaglutide",
        supply=supply,
        tz=tz,
    )


def test_expired_supply_fires_the_day_after_the_usable_until_date():
    warning = rules.expired_supply(case(supply=Supply(VIAL, 5_000_000, Unit.MG, usable_until=date(2026, 3, 9))))
    assert warning.code == "expired_supply"
    assert "usable until 09 Mar 2026" in warning.message and "1 day(s) later" in warning.message
    assert rules.expired_supply(case(supply=Supply(VIAL, 5_000_000, Unit.MG, usable_until=date(2026, 3, 10)))) is None
    assert rules.expired_supply(case(supply=Supply(VIAL, 5_000_000, Unit.MG))) is None
    assert rules.expired_supply(case()) is None


def test_expired_supply_reads_the_day_in_the_person_s_time_zone():
    # 08:00 UTC on 10 March is 10 March in Tokyo as well, but 23:00 UTC on 9 March is already the 10th there.
    late = Case(
        candidate=Dose(datetime(2026, 3, 9, 23, 0, tzinfo=UTC), 1, Unit.MG),
        limits=None,
        neighbours=Neighbours(),
        compound="x",
        supply=Supply(VIAL, 5, Unit.MG, usable_until=date(2026, 3, 9)),
        tz=ZoneInfo("Asia/Tokyo"),
    )
    assert rules.expired_supply(late).code == "expired_supply"


def test_insufficient_supply_compares_in_the_supply_s_unit():
    warning = rules.insufficient_supply(case(300_000, supply=Supply(VIAL, 250_000, Unit.MG)))
    assert warning.code == "insufficient_supply"
    assert "0.3 mg is more than Semaglutide vial has: only 0.25 mg left" in warning.message
    assert rules.insufficient_supply(case(250_000, supply=Supply(VIAL, 250_000, Unit.MG))) is None
    assert rules.insufficient_supply(case(250_000_000, Unit.MCG, Supply(VIAL, 250_000, Unit.MG))) is None
    assert rules.insufficient_supply(case(250_001_000, Unit.MCG, Supply(VIAL, 250_000, Unit.MG))) is not None
    assert rules.insufficient_supply(case()) is None


def test_a_discarded_supply_says_so():
    warning = rules.insufficient_supply(case(supply=Supply(VIAL, 0, Unit.MG, discarded=True)))
    assert "it was discarded" in warning.message


def test_both_supply_codes_are_known_and_composed_in_order():
    assert rules.CODES[-2:] == ("expired_supply", "insufficient_supply")
    both = case(9_000_000, supply=Supply(VIAL, 1, Unit.MG, usable_until=date(2026, 1, 1)))
    assert [w.code for w in rules.evaluate(both)] == ["expired_supply", "insufficient_supply"]
