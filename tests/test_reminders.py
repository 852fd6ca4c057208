"""Reminders that arrive: the calendar link on the settings page, email reminders through a real SMTP server,
each sent once however many senders run, and the settings kept and erased with the account."""

from __future__ import annotations

import json
import threading
import zoneinfo
from datetime import UTC, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from shotlee.accounts.models import Profile
from shotlee.accounts.services import erase_account
from shotlee.reminders.models import DUE, OVERDUE, PushSubscription, ReminderSetting, SentReminder
from shotlee.reminders.plan import pending, reminders_for
from shotlee.reminders.send import run
from tests.conftest import make_protocol
from tests.mail_support import free_port, smtp_server

SITE = "https://shotlee.example.org"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def due_protocol(api, name: str, due_ago: timedelta) -> dict:
    """A weekly protocol whose next dose was due `due_ago` ago (one step after its last real dose)."""
    protocol = make_protocol(api, name=name)
    last = datetime.now(UTC) - timedelta(weeks=1) - due_ago
    response = api.post(
        "/api/v1/doses",
        {
            "protocol": protocol["id"],
            "amount": "0.25",
            "occurred_at": last.isoformat(),
            "acknowledge": ["class_overlap"],
        },
    )
    assert response.status_code == 201, response.content
    return protocol


# ---- the calendar link


def test_the_settings_page_offers_webcal_and_copy_on_the_public_address_and_rotation_kills_the_old_link(alice):
    client = signed_in(alice)
    page = client.post("/accounts/settings/", {"calendar": "rotate"}).content.decode()
    url = page.split('id="calendar-url" readonly value="')[1].split('"')[0]
    assert url.startswith(SITE + "/calendar/") and url.endswith(".ics")
    assert "127.0.0.1" not in page and "testserver" not in page
    assert 'href="webcal://shotlee.example.org/calendar/' in page
    assert 'data-copy="calendar-url"' in page
    path = url.removeprefix(SITE)
    assert Client().get(path).status_code == 200
    again = client.post("/accounts/settings/", {"calendar": "rotate"}).content.decode()
    new_path = again.split('id="calendar-url" readonly value="')[1].split('"')[0].removeprefix(SITE)
    assert new_path != path
    assert Client().get(path).status_code == 404
    assert Client().get(new_path).status_code == 200


# ---- when reminders go out


def test_a_reminder_is_at_the_person_s_time_of_day_on_the_due_date_and_the_nudge_a_day_later():
    new_york = zoneinfo.ZoneInfo("America/New_York")
    due = datetime(2026, 3, 8, 21, 0, tzinfo=new_york)  # the day the clocks go forward
    first, nudge = reminders_for(due, time(8, 0), True, new_york)
    assert (first.kind, first.send_at) == (DUE, datetime(2026, 3, 8, 12, 0, tzinfo=UTC))  # 08:00 EDT (UTC-4)
    assert (nudge.kind, nudge.send_at) == (OVERDUE, datetime(2026, 3, 9, 12, 0, tzinfo=UTC))
    assert [r.kind for r in reminders_for(due, None, False, new_york)] == [DUE]
    assert reminders_for(due, None, True, new_york)[0].send_at == due
    assert pending([first, nudge], first.send_at - timedelta(seconds=1)) == []
    assert pending([first, nudge], first.send_at) == [first]
    assert pending([first, nudge], first.send_at + timedelta(hours=13)) == []  # too late to be useful
    assert pending([first, nudge], nudge.send_at) == [nudge]


# ---- the settings form


def test_reminder_settings_are_saved_per_protocol_and_a_bad_time_changes_nothing(alice, alice_api):
    alice.email = "alice@example.org"
    alice.save()
    one, two = make_protocol(alice_api, name="Sema"), make_protocol(alice_api, name="Fin")
    client = signed_in(alice)
    page = client.get("/accounts/settings/").content.decode()
    assert 'id="reminders"' in page and "Sema" in page and f'name="at-{one["id"]}"' in page
    bad = client.post(
        "/reminders/", {"protocol": [one["id"], two["id"]], "email": one["id"], "at-" + one["id"]: "25:99"}
    )
    assert bad.status_code == 422
    assert "Remind me at: &#x27;25:99&#x27; is not a time of day" in bad.content.decode()
    assert not ReminderSetting.objects.exists()
    saved = client.post(
        "/reminders/",
        {"protocol": [one["id"], two["id"]], "email": one["id"], "overdue": one["id"], "at-" + one["id"]: "07:45"},
    )
    assert saved.status_code == 302
    first = ReminderSetting.objects.get(protocol_uid=one["id"])
    assert (first.email, first.push, first.at, first.overdue) == (True, False, time(7, 45), True)
    assert not ReminderSetting.objects.get(protocol_uid=two["id"]).email
    assert 'value="07:45"' in client.get("/reminders/").content.decode()


# ---- email through a real SMTP server, once


def test_due_and_overdue_reminders_arrive_by_email_once(alice, alice_api, settings):
    alice.email = "alice@example.org"
    alice.save()
    Profile.objects.filter(user=alice).update(timezone="Asia/Kolkata")  # UTC+05:30: times in the email are hers
    due = due_protocol(alice_api, "Sema", timedelta(hours=1))
    late = due_protocol(alice_api, "Fin", timedelta(days=1, hours=1))
    silent = due_protocol(alice_api, "Not asked", timedelta(hours=1))
    for protocol in (due, late):
        ReminderSetting.objects.create(user=alice, protocol_uid=protocol["id"], email=True, overdue=True)
    ReminderSetting.objects.create(user=alice, protocol_uid=silent["id"], email=False)
    with smtp_server(settings) as inbox:
        out = StringIO()
        call_command("send_reminders", stdout=out)
        assert out.getvalue().startswith("2 sent")
        call_command("send_reminders", stdout=StringIO())  # the next run, minutes later
        subjects = sorted(m["Subject"] for m in inbox.messages)
    assert len(subjects) == 2, subjects
    assert subjects[0] == "Dose due: Sema 0.25 mg" and subjects[1].startswith("Overdue: Fin was due ")
    message = next(m for m in inbox.messages if m["Subject"].startswith("Dose due"))
    assert message["To"] == "alice@example.org" and message["Auto-Submitted"] == "auto-generated"
    body = message.get_payload(decode=True).decode()
    due_at = datetime.fromisoformat(alice_api.get(f"/api/v1/protocols/{due['id']}").json()["next_due_at"])
    local = due_at.astimezone(zoneinfo.ZoneInfo("Asia/Kolkata"))
    assert f"is due {local:%a} {local.day} {local:%b}, {local:%H:%M}." in body
    assert f"{SITE}/doses/log/?protocol={due['id']}" in body
    assert SentReminder.objects.filter(sent_at__isnull=False).count() == 2


def test_a_failed_send_is_tried_again_by_the_next_run(alice, alice_api, settings):
    alice.email = "alice@example.org"
    alice.save()
    protocol = due_protocol(alice_api, "Sema", timedelta(hours=1))
    ReminderSetting.objects.create(user=alice, protocol_uid=protocol["id"], email=True)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2  # nobody listens
    outcome = run()
    assert (outcome.sent, outcome.failed) == (0, 1) and not SentReminder.objects.exists()
    with smtp_server(settings) as inbox:
        assert run().sent == 1
    assert len(inbox.messages) == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_reminder_once(settings):
    from shotlee.accounts.services import issue_token
    from tests.conftest import Api, make_user

    people = [make_user(name) for name in ("alice", "bob")]
    expected = 0
    for person in people:
        person.email = f"{person.username}@example.org"
        person.save()
        api = Api(issue_token(person))
        for i in range(3):
            protocol = due_protocol(api, f"P{i}", timedelta(hours=1))
            ReminderSetting.objects.create(user=person, protocol_uid=protocol["id"], email=True)
            expected += 1
    outcomes, errors = [], []
    barrier = threading.Barrier(4, timeout=30)

    def sender():
        from django.db import connection

        try:
            barrier.wait()
            outcomes.append(run())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    with smtp_server(settings) as inbox:
        threads = [threading.Thread(target=sender, daemon=True) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(t.is_alive() for t in threads), "a sender did not finish in time"
    assert errors == []
    assert sum(o.sent for o in outcomes) == expected == len(inbox.messages)
    assert sum(o.taken_by_another for o in outcomes) == expected * 3
    assert len({(m["To"], m["Subject"]) for m in inbox.messages}) == expected


# ---- user data: exported and erased with the account


def test_reminder_settings_are_exported_and_erased_with_the_account(alice, alice_api, bob):
    protocol = make_protocol(alice_api, name="Sema")
    ReminderSetting.objects.create(user=alice, protocol_uid=protocol["id"], email=True, at=time(8, 30))
    PushSubscription.objects.create(user=alice, endpoint="https://fcm.googleapis.com/ALICE", p256dh="k", auth="a")
    ReminderSetting.objects.create(user=bob, protocol_uid=protocol["id"], email=True)
    exported = json.loads(b"".join(signed_in(alice).get("/data/export.json").streaming_content))
    assert exported["reminders"]["settings"] == [
        {"protocol": protocol["id"], "email": True, "push": False, "at": "08:30", "overdue": True}
    ]
    assert exported["reminders"]["push_devices"][0]["endpoint"] == "https://fcm.googleapis.com/ALICE"
    SentReminder.objects.create(
        user=alice,
        protocol_uid=protocol["id"],
        due_at=datetime.now(UTC),
        kind=DUE,
        channel="email",
        claimed_at=datetime.now(UTC),
    )
    alice_id = alice.pk
    erase_account(alice)
    for model in (ReminderSetting, PushSubscription, SentReminder):
        assert not model.objects.filter(user_id=alice_id).exists()
    assert ReminderSetting.objects.filter(user=bob).exists()


def test_no_reminder_form_or_subscription_answers_500_and_a_refusal_changes_nothing(alice, alice_api, settings):
    from hypothesis import HealthCheck, given
    from hypothesis import settings as run_settings
    from hypothesis import strategies as st

    from tests.test_input_properties import form_text

    settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = "k"
    settings.VAPID_SUBJECT = "mailto:a@example.org"
    uid = make_protocol(alice_api)["id"]
    client = signed_in(alice)
    fields = ["protocol", "email", "push", "overdue", f"at-{uid}"]

    def state():
        return list(
            ReminderSetting.objects.values_list("email", "push", "at", "overdue")
        ), PushSubscription.objects.count()

    @run_settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        changes=st.fixed_dictionaries({}, optional=dict.fromkeys(fields, form_text)).filter(bool),
        body=st.one_of(form_text, st.dictionaries(st.sampled_from(["endpoint", "keys"]), form_text, max_size=2)),
    )
    def run_once(changes, body):
        before = state()
        response = client.post("/reminders/", {"protocol": uid, **changes})
        assert response.status_code < 500, changes
        if response.status_code >= 400:
            assert state() == before
        answer = client.post("/reminders/push/subscribe/", json.dumps(body), content_type="application/json")
        assert answer.status_code in (400, 422), (body, answer.status_code)

    run_once()
