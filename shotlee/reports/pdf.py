"""The clinician report: one protocol over a chosen period, as a PDF of one to three pages (reportlab).

It shows what was recorded and nothing it cannot source: the protocol and its
guide, the doses, adherence against the protocol's own schedule, side effects
by severity, readings as small charts, the warnings the person confirmed, and
the chain head, so the report ties to the verified history (and its export).
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shotlee.guides.models import Guide
from shotlee.ledger.models import Entry, LedgerHead
from shotlee.lib import schedule
from shotlee.lib.units import from_micro
from shotlee.metrics.services import in_preferred, readings
from shotlee.protocols.models import DOSE, Protocol
from shotlee.symptoms.export import severity_band
from shotlee.symptoms.services import side_effects

MAX_DOSE_ROWS = 45  # beyond this the table shows the latest ones: the report stays within three pages
MAX_CHARTS = 4
WHEN = "%d %b %Y %H:%M"


@dataclass(frozen=True)
class Period:
    since: date
    until: date

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        start = datetime.combine(self.since, time.min).replace(tzinfo=tz)
        end = datetime.combine(self.until + timedelta(days=1), time.min).replace(tzinfo=tz)
        return start, end


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontSize=16, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontSize=12, spaceBefore=8, spaceAfter=3),
        "body": ParagraphStyle("body", parent=base["BodyText"], fontSize=9, leading=12),
        "small": ParagraphStyle("small", parent=base["BodyText"], fontSize=7.5, leading=10, textColor=colors.grey),
    }


def _table(rows: list[list[Any]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c8ced6")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _chart(title: str, unit: str, points: list[tuple[float, float]], start: datetime, end: datetime) -> Drawing:
    """A small line chart of one metric over the period (x: days since the period's start)."""
    drawing = Drawing(85 * mm, 42 * mm)
    drawing.add(
        String(0, 42 * mm - 10, f"{title} ({unit}) by day of the period", fontName="Helvetica-Bold", fontSize=8)
    )
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 22, 14, 85 * mm - 30, 42 * mm - 34
    plot.data = [points]
    plot.lines[0].strokeColor = colors.HexColor("#0b5fff")
    plot.lines[0].symbol = None
    plot.joinedLines = 1
    plot.xValueAxis.valueMin = 0
    plot.xValueAxis.valueMax = max((end - start).total_seconds() / 86400, 1)
    plot.xValueAxis.labels.fontSize = 6
    plot.yValueAxis.labels.fontSize = 6
    values = [p[1] for p in points]
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or abs(high) * 0.05 or 1
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = low - pad, high + pad
    drawing.add(plot)
    return drawing


def _expected(protocol: Protocol, first: datetime | None, start: datetime, end: datetime, tz: tzinfo) -> int | None:
    """Scheduled dose times in the period by the protocol's own schedule, from its first dose in the period."""
    plan = protocol.current.plan()
    if plan is None:
        return None
    anchor = first or max(start, schedule.start_of(date.fromisoformat(protocol.current.starts_on), tz))
    if anchor >= end:
        return 0
    return 1 + len(schedule.upcoming(plan, schedule.advance(anchor, plan, tz), end, tz, limit=5000))


def build_report(user: User, protocol: Protocol, period: Period, tz: tzinfo, preferences: dict[str, str]) -> bytes:
    """The clinician report: the protocol, its doses, side effects, readings, confirmed warnings, integrity."""
    start, end = period.bounds(tz)
    s = _styles()
    story: list[Any] = [
        Paragraph(f"Protocol report: {protocol.name}", s["title"]),
        Paragraph(
            f"Account {user.username} · {period.since:%d %b %Y} to {period.until:%d %b %Y} · "
            f"made {timezone.now().astimezone(tz):%d %b %Y %H:%M} ({tz}) · recorded by the person, not by a clinician",
            s["small"],
        ),
    ]
    story += _protocol_section(protocol, s)
    doses = list(
        Entry.objects.for_user(user)
        .of_kind(DOSE)
        .filter(subject=protocol.uid, occurred_at__gte=start, occurred_at__lt=end)
        .effective()
        .order_by("occurred_at", "seq")
    )
    story += _dose_section(protocol, doses, start, end, tz, s)
    story += _effects_section(list(side_effects(user, protocol=protocol, since=start, until=end)), s)
    story += _readings_section(user, start, end, preferences, s)
    acknowledged = [
        [entry.occurred_at.astimezone(tz).strftime(WHEN), warning["message"]]
        for entry in doses
        for warning in entry.data.get("acknowledged", [])
    ]
    story.append(Paragraph(f"Warnings the person confirmed ({len(acknowledged)})", s["h2"]))
    if acknowledged:
        rows = [["Dose of", "Warning"]] + [[when, Paragraph(message, s["body"])] for when, message in acknowledged[:20]]
        story.append(_table(rows, [32 * mm, 145 * mm]))
    else:
        story.append(Paragraph("None.", s["body"]))
    story.append(_integrity(user, s))
    return _render(story, f"Protocol report: {protocol.name}")


def _protocol_section(protocol: Protocol, s: dict[str, Any]) -> list[Any]:
    current = protocol.current
    facts = [
        f"<b>Compound</b>: {current.compound} · <b>dose</b>: {current.dose} {current.unit.value} · "
        f"<b>route</b>: {current.route} · <b>schedule</b>: {current.schedule_text or 'none'}"
        + (
            f" · <b>maximum single dose</b>: {current.max_single_dose} {current.unit.value}"
            if current.max_single_dose
            else ""
        )
        + (" · <b>stopped</b>" if protocol.stopped else "")
    ]
    if current.guide:
        guide = Guide.objects.filter(slug=current.guide).first()
        title = guide.title if guide else current.guide
        facts.append(
            f"<b>Source guide</b>: {title}, regimen {current.regimen or '—'}, version {(current.guide_version or '')[:12]}"
        )
    else:
        facts.append("<b>Source guide</b>: none (set by the person)")
    return [Paragraph("Protocol", s["h2"])] + [Paragraph(fact, s["body"]) for fact in facts]


def _dose_section(
    protocol: Protocol, doses: list[Entry], start: datetime, end: datetime, tz: tzinfo, s: dict[str, Any]
) -> list[Any]:
    story: list[Any] = [Paragraph(f"Doses ({len(doses)})", s["h2"])]
    expected = _expected(protocol, doses[0].occurred_at if doses else None, start, min(end, timezone.now()), tz)
    if expected:
        share = min(Decimal(len(doses)) / expected * 100, Decimal(100))
        story.append(
            Paragraph(
                f"<b>Adherence</b>: {len(doses)} dose(s) recorded of {expected} scheduled in the period "
                f"({share:.0f}%), counted by the protocol's schedule from the first dose in the period.",
                s["body"],
            )
        )
    else:
        story.append(
            Paragraph("<b>Adherence</b>: not computed (no schedule, or nothing due in the period).", s["body"])
        )
    if not doses:
        return story
    shown = doses[-MAX_DOSE_ROWS:]
    rows: list[list[Any]] = [["When", "Amount", "Site", "Note"]]
    for entry in shown:
        data = entry.data
        rows.append(
            [
                entry.occurred_at.astimezone(tz).strftime(WHEN),
                f"{from_micro(entry.amount_micro or 0)} {entry.unit}",
                Paragraph(data.get("site", ""), s["body"]),
                Paragraph(data.get("note", ""), s["body"]),
            ]
        )
    story += [Spacer(1, 3), _table(rows, [32 * mm, 25 * mm, 35 * mm, 85 * mm])]
    if len(doses) > len(shown):
        story.append(Paragraph(f"{len(doses) - len(shown)} earlier dose(s) in the period are not listed.", s["small"]))
    return story


def _effects_section(effects: list[Entry], s: dict[str, Any]) -> list[Any]:
    story: list[Any] = [Paragraph(f"Side effects ({len(effects)})", s["h2"])]
    if not effects:
        return story + [Paragraph("None recorded in the period.", s["body"])]
    bands: Counter[str] = Counter(severity_band(int(e.data["severity"])) or "none" for e in effects)
    story.append(
        Paragraph(
            "By severity (0–10 scale): "
            + ", ".join(f"{bands.get(b, 0)} {b}" for b in ("severe", "moderate", "mild", "none")),
            s["body"],
        )
    )
    by_symptom: dict[str, list[int]] = defaultdict(list)
    for effect in effects:
        by_symptom[effect.data["symptom"]].append(int(effect.data["severity"]))
    rows: list[list[Any]] = [["Symptom", "Times", "Worst (0–10)", "Band"]]
    for symptom, levels in sorted(by_symptom.items(), key=lambda kv: (-max(kv[1]), kv[0]))[:15]:
        rows.append([Paragraph(symptom, s["body"]), len(levels), max(levels), severity_band(max(levels)) or "none"])
    return story + [_table(rows, [80 * mm, 20 * mm, 30 * mm, 30 * mm])]


def _readings_section(
    user: User, start: datetime, end: datetime, preferences: dict[str, str], s: dict[str, Any]
) -> list[Any]:
    series: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    units: dict[str, str] = {}
    for reading in readings(user, since=start, until=end).order_by("occurred_at", "seq"):
        value, _, unit = in_preferred(reading, preferences)
        series[reading.data["name"]].append((reading.occurred_at, float(value)))
        units[reading.data["name"]] = unit
    story: list[Any] = [Paragraph("Readings and labs", s["h2"])]
    charts = [
        _chart(name, units[name], [((at - start).total_seconds() / 86400, v) for at, v in points], start, end)
        for name, points in sorted(series.items(), key=lambda kv: -len(kv[1]))
        if len(points) >= 2
    ][:MAX_CHARTS]
    singles = [f"{name}: {points[0][1]:g} {units[name]}" for name, points in series.items() if len(points) == 1]
    if charts:
        pairs = [charts[i : i + 2] + [""] * (2 - len(charts[i : i + 2])) for i in range(0, len(charts), 2)]
        story.append(Table(pairs, colWidths=[88 * mm, 88 * mm]))
    if singles:
        story.append(Paragraph("One reading in the period: " + "; ".join(singles), s["body"]))
    if not series:
        story.append(Paragraph("None recorded in the period.", s["body"]))
    return story


def _integrity(user: User, s: dict[str, Any]) -> Any:
    head = LedgerHead.objects.get(user=user)
    return KeepTogether(
        [
            Paragraph("Record integrity", s["h2"]),
            Paragraph(
                f"Made from a history of {head.seq} entries whose chain head is <font face='Courier'>{head.head_hash}</font>. "
                "The person's JSON export carries the same head and can be checked with "
                "<font face='Courier'>python -m shotlee.verify_export</font>.",
                s["small"],
            ),
        ]
    )


def _render(story: list[Any], title: str) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=title,
        author="Shotlee",
    )
    document.build(story)
    return buffer.getvalue()
