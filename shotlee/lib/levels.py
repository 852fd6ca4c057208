"""The estimated amount of a compound in the body: first-order absorption and elimination (the Bateman function)
summed over every dose, in O(doses + points).

One dose D at time t0, with absorption rate ka, elimination rate ke and bioavailability F:

    A(t) = F * D * ka * (exp(-ke*tau) - exp(-ka*tau)) / (ka - ke),   tau = t - t0 >= 0

and without an absorption rate (the guide gives only a half-life) the dose is taken to enter at once:
A(t) = F * D * exp(-ke*tau). The result is an amount in the dose's unit (mg in the body), not a blood
level: the guides give no volume of distribution, and the page says so.

The recurrence keeps two sums over the doses taken so far:

    E(t) = sum D_i exp(-ke tau_i)
    S(t) = sum D_i (exp(-ke tau_i) - exp(-ka tau_i)) / (ka - ke)

and moves them forward by a step h as E <- E e^(-ke h), S <- S e^(-ka h) + E phi(h), with
phi(h) = (e^(-ke h) - e^(-ka h)) / (ka - ke) (h e^(-ke h) when ka = ke). Every term of S has the
same sign, so nothing cancels: it agrees with the direct double sum to rounding (tests/test_levels.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

LN2 = math.log(2)


@dataclass(frozen=True)
class Pk:
    """Pharmacokinetic parameters of one compound by one route, in hours."""

    half_life_hours: float
    ka_per_hour: float | None = None  # None: no absorption rate published; the dose enters at once
    bioavailability: float = 1.0

    def __post_init__(self) -> None:
        if not self.half_life_hours > 0:
            raise ValueError("the half-life must be above zero")
        if self.ka_per_hour is not None and not self.ka_per_hour > 0:
            raise ValueError("the absorption rate must be above zero")
        if not 0 < self.bioavailability <= 1:
            raise ValueError("the bioavailability is a fraction above 0 and at most 1")

    @property
    def ke(self) -> float:
        return LN2 / self.half_life_hours

    @classmethod
    def from_guide(cls, pk: Mapping[str, Any]) -> Pk:
        """A guide regimen's `pk` block: half_life_hours, and tmax_hours or ka_per_hour when published."""
        half_life = float(pk["half_life_hours"])
        ka = pk.get("ka_per_hour")
        if ka is None and pk.get("tmax_hours") is not None:
            ka = ka_from_tmax(float(pk["tmax_hours"]), LN2 / half_life)
        return cls(half_life, None if ka is None else float(ka), float(pk.get("bioavailability") or 1.0))

    def with_half_life(self, half_life_hours: float) -> Pk:
        return Pk(half_life_hours, self.ka_per_hour, self.bioavailability)


def ka_from_tmax(tmax_hours: float, ke: float) -> float:
    """The absorption rate (above ke) whose single-dose peak falls at `tmax_hours`: tmax = ln(ka/ke)/(ka - ke)."""
    if not tmax_hours > 0:
        raise ValueError("the time to peak must be above zero")
    if tmax_hours >= 1 / ke:
        # tmax is at most 1/ke when ka > ke (ka -> ke gives 1/ke): the published figures cannot be combined.
        raise ValueError("the time to peak is too long for this half-life")

    def peak(ka: float) -> float:
        return math.log(ka / ke) / (ka - ke)

    low, high = ke * (1 + 1e-9), ke * 2
    while peak(high) > tmax_hours:  # peak() falls as ka grows
        high *= 2
    for _ in range(200):
        mid = (low + high) / 2
        if peak(mid) > tmax_hours:
            low = mid
        else:
            high = mid
        if high - low <= 1e-15 * high:
            break
    return (low + high) / 2


def _phi(x: float, h: float) -> float:
    """(1 - e^(-x h)) / x for x >= 0, and its limit h at x = 0; accurate for small x h."""
    return h if x == 0 else -math.expm1(-x * h) / x


def _rise(ke: float, ka: float, h: float) -> float:
    """(e^(-ke h) - e^(-ka h)) / (ka - ke), written as e^(-slower h) * phi(gap, h) so it neither cancels nor
    overflows, whichever rate is the larger."""
    return math.exp(-min(ke, ka) * h) * _phi(abs(ka - ke), h)


def curve(doses: Sequence[tuple[float, float]], times: Sequence[float], pk: Pk) -> list[float]:
    """The estimated amount at each of `times` (hours on any common clock, ascending) after `doses`
    (time in hours, amount), in O(len(doses) + len(times)). Doses after a time do not count at it."""
    if any(b < a for a, b in zip(times, times[1:], strict=False)):
        raise ValueError("times must be in ascending order")
    ordered = sorted(doses)
    ke, ka, f = pk.ke, pk.ka_per_hour, pk.bioavailability
    exp = math.exp
    result: list[float] = []
    e = s = 0.0  # the sums E and S at time `now`
    now = -math.inf
    i, n = 0, len(ordered)
    # The factors for a step h, kept while the steps repeat (an even grid): most points then cost a few products.
    last_h, decay, absorb, rise = math.nan, 1.0, 1.0, 0.0
    for t in times:
        while True:
            at = ordered[i][0] if i < n and ordered[i][0] <= t else t
            if now != -math.inf and at != now:
                h = at - now
                if h != last_h:
                    last_h, decay = h, exp(-ke * h)
                    if ka is not None:
                        absorb, rise = exp(-ka * h), _rise(ke, ka, h)
                if ka is not None:
                    s = s * absorb + e * rise
                e *= decay
            now = at
            if at == t and not (i < n and ordered[i][0] == t):
                break
            e += ordered[i][1]
            i += 1
        result.append(f * (e if ka is None else ka * s))
    return result


def direct(doses: Sequence[tuple[float, float]], times: Sequence[float], pk: Pk) -> list[float]:
    """The same curve as the plain double sum over doses and times: the reference for tests and the bench."""
    ke, ka, f = pk.ke, pk.ka_per_hour, pk.bioavailability
    result = []
    for t in times:
        total = 0.0
        for at, amount in doses:
            tau = t - at
            if tau < 0:
                continue
            if ka is None:
                total += amount * math.exp(-ke * tau)
            else:
                total += amount * ka * _rise(ke, ka, tau)
        result.append(f * total)
    return result


def hours(moment: datetime) -> float:
    """An aware datetime as hours on one clock (the Unix epoch): zones do not change the curve."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must carry their zone (aware datetimes)")
    return moment.timestamp() / 3600


def curve_at(doses: Sequence[tuple[datetime, float]], times: Sequence[datetime], pk: Pk) -> list[float]:
    """`curve` with aware datetimes."""
    return curve([(hours(at), amount) for at, amount in doses], [hours(t) for t in times], pk)


def fit_scale(estimates: Sequence[float], measured: Sequence[float]) -> tuple[float, float] | None:
    """Least squares through the origin, measured ~ k * estimate: (k, its standard error), or None without
    two usable pairs. The standard error is sqrt(residual variance / sum(estimate^2))."""
    pairs = [(x, y) for x, y in zip(estimates, measured, strict=True) if x > 0]
    if len(pairs) < 2:
        return None
    sxx = sum(x * x for x, _ in pairs)
    k = sum(x * y for x, y in pairs) / sxx
    residual = sum((y - k * x) ** 2 for x, y in pairs)
    return k, math.sqrt(residual / (len(pairs) - 1) / sxx)


@dataclass(frozen=True)
class HalfLifeFit:
    half_life_hours: float
    standard_error_hours: float | None  # None when the fit's curvature gives no finite error
    scale: float


def fit_half_life(
    doses: Sequence[tuple[float, float]], lab_times: Sequence[float], measured: Sequence[float], pk: Pk
) -> HalfLifeFit | None:
    """With three or more labs: the half-life (and its scale factor) that fits the measured values best by least
    squares, searched on a log grid from a quarter to four times the published value and refined; its standard
    error from the curvature of the residual sum of squares (sigma^2 = SS / (n - 2)). None with fewer labs."""
    if len(lab_times) < 3 or len(lab_times) != len(measured):
        return None
    order = sorted(range(len(lab_times)), key=lambda i: lab_times[i])
    times = [lab_times[i] for i in order]
    values = [measured[i] for i in order]

    def residual(half_life: float) -> tuple[float, float]:
        estimates = curve(doses, times, pk.with_half_life(half_life))
        fitted = fit_scale(estimates, values)
        if fitted is None:
            return math.inf, 0.0
        k = fitted[0]
        return sum((y - k * x) ** 2 for x, y in zip(estimates, values, strict=True)), k

    base = pk.half_life_hours
    grid_points = [base * 16 ** (i / 120 - 0.5) for i in range(121)]  # base/4 .. base*4
    scores = [residual(h)[0] for h in grid_points]
    best = min(range(len(grid_points)), key=lambda i: scores[i])
    if not math.isfinite(scores[best]):
        return None
    low = grid_points[max(best - 1, 0)]
    high = grid_points[min(best + 1, len(grid_points) - 1)]
    for _ in range(60):  # golden-section refinement between the neighbours
        a, b = high - (high - low) / 1.618, low + (high - low) / 1.618
        if residual(a)[0] < residual(b)[0]:
            high = b
        else:
            low = a
    half_life = (low + high) / 2
    ss, k = residual(half_life)
    step = half_life * 1e-3
    second = (residual(half_life + step)[0] - 2 * ss + residual(half_life - step)[0]) / step**2
    sigma2 = ss / (len(times) - 2)
    error = math.sqrt(2 * sigma2 / second) if second > 0 and sigma2 > 0 else None
    return HalfLifeFit(half_life, error, k)
