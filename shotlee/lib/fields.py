"""What each input field is called where a person reads it: the one table behind every error message.

A service names a bad field by its key (`occurred_at`, `min_interval_hours`); the page shows it by its label
and the API's `detail` carries both (the key for programs, the label in `msg` for people). A key no one has
labelled yet still reads as words ("Some field"), never as "Somefield" or "some_field".
"""

from __future__ import annotations

LABELS: dict[str, str] = {
    # doses
    "amount": "Amount",
    "unit": "Unit",
    "site": "Site",
    "sites": "Sites",
    "occurred_at": "When",
    "note": "Note",
    "protocol": "Protocol",
    "compound": "Compound",
    "route": "Route",
    "acknowledge": "Warnings confirmed",
    "client_entry_id": "Entry id",
    "supply": "Supply",
    # side effects
    "symptom": "What did you notice?",
    "other": "Something else",
    "severity": "Severity",
    "started_at": "Started",
    "ended_at": "Ended",
    # metrics
    "type": "Metric",
    "value": "Value",
    "value2": "Diastolic",
    "measured_at": "When",
    "min": "Lowest plausible value",
    "max": "Highest plausible value",
    # protocols
    "name": "Name",
    "dose": "Dose",
    "every": "Every",
    "every_unit": "Period",
    "schedule": "Schedule",
    "interval_hours": "Every",
    "weekdays": "Weekdays",
    "min_interval_hours": "Minimum gap",
    "min_interval": "Minimum gap",
    "max_single_dose": "Maximum single dose",
    "window_hours": "Rolling window",
    "window": "Rolling window",
    "window_max": "Maximum total in the window",
    "ladder": "Titration ladder",
    "starts_on": "Start date",
    "course": "Course",
    "sites_mode": "Sites per session",
    "confirmed_step": "Titration step",
    "step": "Titration step",
    "guide": "Guide",
    "regimen": "Regimen",
    # corrections, accounts, lists
    "action": "What happened?",
    "reason": "Reason",
    "username": "Username",
    "password": "Password",  # nosec B105  # a label, not a password
    "timezone": "Time zone",
    "cursor": "Page",
    "since": "From",
    "until": "Until",
    "limit": "Page size",
    "body": "Request",
    "payload": "Request",
}


def label(key: str) -> str:
    """The field as its label calls it; an unknown key as plain words."""
    if key in LABELS:
        return LABELS[key]
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else key


def message(key: str, text: str) -> str:
    """A field's message as one line a person reads: "When: is in the future"."""
    return f"{label(key)}: {text}"
