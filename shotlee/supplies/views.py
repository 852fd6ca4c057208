"""Supply pages: the list, add, one supply with its events, reconstitute (with the worked calculation), adjust,
discard; and the public calculator (no account needed)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from shotlee.accounts.http import SignedIn
from shotlee.lib import supply
from shotlee.lib.supply import SupplyError
from shotlee.supplies import services
from shotlee.supplies.forms import (
    DRUG_UNITS,
    AdjustForm,
    CalculatorForm,
    DiscardForm,
    ReconstituteForm,
    SupplyForm,
    build_reason,
    build_supply,
)
from shotlee.supplies.models import Form, Supply
from shotlee.web.forms import status, submit


def _mine(request: SignedIn, uid: uuid.UUID) -> Supply:
    item = Supply.objects.for_user(request.user).filter(uid=uid).first()
    if item is None:
        raise Http404
    return item


def supply_list(request: SignedIn) -> HttpResponse:
    tz = request.profile.tz
    items = list(Supply.objects.for_user(request.user)[:200])
    rows = services.standings(request.user, items, tz=tz, today=services.today_in(tz))
    return render(request, "supplies/supply_list.html", {"rows": rows, "done": request.GET.get("done", "")})


@require_http_methods(["GET", "POST"])
def supply_add(request: SignedIn) -> HttpResponse:
    tz = request.profile.tz
    initial = {"client_entry_id": str(uuid.uuid4()), "form": "vial", "drug_unit": "mg"}
    form = SupplyForm(request.POST if request.method == "POST" else None, initial=initial, tz=tz)
    if form.is_bound and form.is_valid():
        outcome, _ = submit(
            form,
            lambda: services.add_supply(request.user, build_supply(form.values(), today=services.today_in(tz))),
        )
        if outcome is not None:
            return redirect(reverse("supplies:detail", args=[outcome.body["id"]]) + "?done=added")
    values = {name: form.data.get(name, "") for name in form.fields} if form.is_bound else {**initial}
    context = {"values": values, "errors": form.messages, "forms": Form.choices, "drug_units": DRUG_UNITS}
    return render(request, "supplies/supply_add.html", context, status=status(form, []))


def supply_detail(request: SignedIn, uid: uuid.UUID) -> HttpResponse:
    tz = request.profile.tz
    item = _mine(request, uid)
    (standing,) = services.standings(request.user, [item], tz=tz, today=services.today_in(tz))
    events = services.events(request.user, item)
    context = {
        "item": item,
        "standing": standing,
        "events": [{"entry": e, "summary": services.supply_summary(e, {})} for e in events],
        "done": request.GET.get("done", ""),
    }
    return render(request, "supplies/supply_detail.html", context)


@require_http_methods(["POST"])
def supply_open(request: SignedIn, uid: uuid.UUID) -> HttpResponse:
    item = _mine(request, uid)
    form = DiscardForm({}, tz=request.profile.tz)
    form.is_valid()
    outcome, _ = submit(
        form, lambda: services.open_supply(request.user, item.uid, on=services.today_in(request.profile.tz))
    )
    return redirect(reverse("supplies:detail", args=[item.uid]) + ("?done=opened" if outcome else ""))


@require_http_methods(["GET", "POST"])
def supply_reconstitute(request: SignedIn, uid: uuid.UUID) -> HttpResponse:
    """Two steps: the numbers, then the worked calculation to confirm before it is recorded."""
    tz = request.profile.tz
    item = _mine(request, uid)
    if not item.needs_reconstitution:
        return redirect("supplies:detail", uid=item.uid)
    initial = {"powder": str(supply.rounded(Fraction(item.powder_micro or 0, 1_000_000))) if item.powder_micro else ""}
    form = ReconstituteForm(request.POST if request.method == "POST" else None, initial=initial, tz=tz)
    preview = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            conc = supply.reconstitute(data["powder"] or initial["powder"] or None, data["diluent"] or None)
        except SupplyError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            preview = services.worked_reconstitution(conc, item.drug_unit)
            if data["confirm"] == "1":
                outcome, _ = submit(
                    form,
                    lambda: services.reconstitute(
                        request.user,
                        item.uid,
                        {"powder": conc.amount, "diluent": conc.volume},
                        on=services.today_in(tz),
                    ),
                )
                if outcome is not None:
                    return redirect(reverse("supplies:detail", args=[item.uid]) + "?done=reconstituted")
    values = {name: form.data.get(name, "") for name in form.fields} if form.is_bound else {**initial}
    context = {"item": item, "values": values, "errors": form.messages, "preview": preview}
    return render(request, "supplies/supply_reconstitute.html", context, status=status(form, []))


@require_http_methods(["GET", "POST"])
def supply_adjust(request: SignedIn, uid: uuid.UUID) -> HttpResponse:
    tz = request.profile.tz
    item = _mine(request, uid)
    form = AdjustForm(request.POST if request.method == "POST" else None, tz=tz)
    if form.is_bound and form.is_valid():
        outcome, _ = submit(form, lambda: services.adjust_supply(request.user, item.uid, dict(form.cleaned_data)))
        if outcome is not None:
            return redirect(reverse("supplies:detail", args=[item.uid]) + "?done=adjusted")
    values = {name: form.data.get(name, "") for name in form.fields} if form.is_bound else {}
    context = {"item": item, "values": values, "errors": form.messages}
    return render(request, "supplies/supply_adjust.html", context, status=status(form, []))


@require_http_methods(["GET", "POST"])
def supply_discard(request: SignedIn, uid: uuid.UUID) -> HttpResponse:
    tz = request.profile.tz
    item = _mine(request, uid)
    form = DiscardForm(request.POST if request.method == "POST" else None, tz=tz)
    if form.is_bound and form.is_valid():
        outcome, _ = submit(
            form,
            lambda: services.discard_supply(
                request.user, item.uid, build_reason(dict(form.cleaned_data)), on=services.today_in(tz)
            ),
        )
        if outcome is not None:
            return redirect(reverse("supplies:list") + "?done=discarded")
    values = {name: form.data.get(name, "") for name in form.fields} if form.is_bound else {}
    context = {"item": item, "values": values, "errors": form.messages}
    return render(request, "supplies/supply_discard.html", context, status=status(form, []))


# ---- the public calculator


def calculate(values: dict[str, Any]) -> dict[str, Any]:
    """The calculator's answer for its GET parameters (the page and GET /api/v1/calculator share it):
    the dose in mg, mL and syringe units with the arithmetic, or {"errors": {field: message}}."""
    errors: dict[str, str] = {}
    conc = None
    try:
        if values.get("powder") not in (None, "") or values.get("diluent") not in (None, ""):
            conc = supply.reconstitute(values.get("powder"), values.get("diluent"))
        elif values.get("strength") in (None, ""):
            errors["strength"] = "give the concentration (mg/mL), or the powder and the water added"
        else:
            conc = supply.concentration(values.get("strength"))
    except SupplyError as exc:
        errors[exc.field] = exc.message
    unit = values.get("unit") or supply.MG
    syringe = values.get("syringe") or "U-100"
    if values.get("amount") in (None, ""):
        errors["amount"] = "give the dose"
    if errors or conc is None:
        return {"errors": errors}
    try:
        dose = supply.convert(values.get("amount"), unit, conc, syringe)
    except SupplyError as exc:
        return {"errors": {exc.field: exc.message}}
    size = supply.syringe_for(dose.ml)
    if size is None:
        ml = supply.show(dose.ml, 3)
        return {"errors": {"amount": f"{ml} mL is more than a 1 mL insulin syringe holds: check the numbers"}}
    scale = supply.SYRINGES[syringe]
    return {
        "concentration": conc.text(),
        "mg": supply.rounded(dose.mg),
        "ml": supply.rounded(dose.ml),
        "units": supply.rounded(dose.units),
        "exact": dose.is_exact,
        "steps": list(dose.steps),
        "syringe": syringe,
        "syringe_ml": size,
        "syringe_units": int(size * scale),
        "drawing": syringe_drawing(dose.units, int(size * scale)),
    }


def syringe_drawing(units: Fraction, full: int) -> dict[str, Any]:
    """Coordinates for the SVG syringe: a barrel of `full` units with ticks, filled to the dose's mark."""
    left, width = 40, 300
    major = 10 if full >= 50 else 5
    minor = 1 if full <= 50 else 2
    ticks = [
        {"x": left + width * n / full, "major": n % major == 0, "label": n if n % major == 0 else None}
        for n in range(0, full + 1, minor)
    ]
    fill = float(Decimal(units.numerator) / Decimal(units.denominator) / full * width)  # drawing only, not a dose
    return {"left": left, "width": width, "fill": round(fill, 2), "mark": round(left + fill, 2), "ticks": ticks}


@login_not_required
def calculator(request: HttpRequest) -> HttpResponse:
    """mg <-> mL <-> syringe units for a concentration; works without JavaScript (a GET form)."""
    form = CalculatorForm(request.GET or None)
    values = {name: request.GET.get(name, "").strip()[:40] for name in CalculatorForm.base_fields}
    result = calculate(values) if request.GET.get("amount") is not None else None
    errors = result.get("errors") if result else None
    labelled = [(str(CalculatorForm.base_fields[f].label or f), m) for f, m in (errors or {}).items()]
    context = {
        "form": form,
        "values": values,
        "result": None if errors else result,
        "errors": errors or {},
        "labelled": labelled,
        "syringes": list(supply.SYRINGES),
    }
    return render(request, "supplies/calculator.html", context, status=422 if errors else 200)
