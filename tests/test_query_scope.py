"""Every query on a per-user table carries the user id (docs/deploy.md, "Scaling out").

A scripted journey walks every route — pages and API: sign-up and log-in, protocols, doses (logged, back-filled,
corrected, voided), side effects, metrics and custom metric types, history and its full check, the calendar
feed, the ledger, the lists — as alice, with bob's data in the same tables, and records every SQL statement
(CaptureQueriesContext). tests/query_scope.py parses each one; a statement that touches a per-user table
without pinning it to one user fails the test, naming the statement. The parser's own rules are checked first,
on statements written by hand, so the journey cannot pass because the parser sees nothing.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from shotlee.accounts.models import ApiToken, TwoStep
from shotlee.accounts.services import issue_token, rotate_calendar_token
from tests.conftest import PASSWORD, Api, make_protocol, make_user
from tests.query_scope import PLAN, Checker
from tests.test_ownership import KNOWN_ROUTES

# ---- the parser's rules, on statements written by hand


def problems(sql: str) -> list[str]:
    return Checker("postgres").problems(sql)


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT "e"."seq" FROM "ledger_entry" "e" WHERE "e"."user_id" = 7 AND "e"."seq" > 3',
        'SELECT 1 FROM "ledger_entry" WHERE ("ledger_entry"."user_id" IN (7) AND "ledger_entry"."kind" = \'dose\')',
        # a join through the user's own rows, and a correlated subquery
        'SELECT "c"."seq" FROM "ledger_checkpoint" "c" INNER JOIN "ledger_entry" "e" ON ("c"."user_id" = "e"."user_id" '
        'AND "c"."seq" = "e"."seq") WHERE "e"."user_id" = 7',
        'SELECT "ledger_entry"."id" FROM "ledger_entry" WHERE ("ledger_entry"."user_id" = 7 AND NOT EXISTS(SELECT 1 AS '
        '"a" FROM "ledger_entry" U0 WHERE (U0."target_seq" = ("ledger_entry"."seq") AND U0."user_id" = '
        '("ledger_entry"."user_id")) LIMIT 1))',
        # found by a unique identity key: the token's digest, then the user and profile through it
        'SELECT "auth_user"."id", "accounts_profile"."timezone" FROM "accounts_apitoken" INNER JOIN "auth_user" ON '
        '("accounts_apitoken"."user_id" = "auth_user"."id") LEFT OUTER JOIN "accounts_profile" ON ("auth_user"."id" = '
        '"accounts_profile"."user_id") WHERE "accounts_apitoken"."digest" = \'ab12\'',
        'UPDATE "ledger_head" SET "seq" = 4 WHERE "ledger_head"."user_id" = 7',
        'INSERT INTO "ledger_entry" ("user_id", "seq") VALUES (7, 1), (7, 2)',
        'DELETE FROM "django_session" WHERE "django_session"."session_key" = \'k\'',
        # Django's iexact on SQLite and on PostgreSQL (a username at sign-up)
        'SELECT 1 AS "a" FROM "auth_user" WHERE "auth_user"."username" LIKE \'dora\\_x\' ESCAPE \'\\\' LIMIT 1',
        'SELECT 1 FROM "auth_user" WHERE UPPER(CAST("auth_user"."username" AS TEXT)) = UPPER(\'dora\') LIMIT 1',
        'INSERT INTO "auth_user" ("username", "password") VALUES (\'dora\', \'x\')',  # a new user is the user
        # PostgreSQL's bulk insert (Django 5.2): one array per column, every user id the same
        'INSERT INTO "accounts_recoverycode" ("user_id", "digest") SELECT * FROM UNNEST((\'{5,5}\'::int2[])::integer[], '
        "('{a,b}'::varchar[])::varchar(64)[])",
        "SELECT 1",
        'SELECT "guides_guide"."slug" FROM "guides_guide"',  # a reference table: every node has all of it
    ],
)
def test_a_statement_pinned_to_one_user_passes(sql):
    assert problems(sql) == []


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT "e"."seq" FROM "ledger_entry" "e" WHERE "e"."seq" > 3',
        'SELECT "e"."seq" FROM "ledger_entry" "e" WHERE ("e"."user_id" = 7 OR "e"."seq" > 3)',
        'SELECT "e"."seq" FROM "ledger_entry" "e" WHERE NOT ("e"."user_id" = 7)',
        'SELECT 1 FROM "ledger_entry" WHERE "ledger_entry"."user_id" IN (7, 8)',
        'SELECT "protocols_protocol"."id" FROM "protocols_protocol" WHERE "protocols_protocol"."uid" = \'x\'',
        # the join's other side is not pinned
        'SELECT "c"."seq" FROM "ledger_checkpoint" "c" INNER JOIN "ledger_entry" "e" ON ("c"."seq" = "e"."seq") '
        'WHERE "e"."user_id" = 7',
        # a LEFT JOIN's ON does not pin the left side
        'SELECT 1 FROM "ledger_entry" "e" LEFT OUTER JOIN "ledger_head" "h" ON ("h"."user_id" = "e"."user_id" AND '
        '"h"."user_id" = 7)',
        # a pin inside a subquery does not pin the query around it
        'SELECT 1 FROM "ledger_entry" WHERE NOT EXISTS(SELECT 1 FROM "ledger_entry" U0 WHERE (U0."user_id" = 7 AND '
        'U0."user_id" = ("ledger_entry"."user_id")))',
        'UPDATE "accounts_profile" SET "units" = \'{}\' WHERE "accounts_profile"."id" = 3',
        'DELETE FROM "ledger_idempotencyrecord" WHERE "ledger_idempotencyrecord"."created_at" < \'2026-01-01\'',
        'INSERT INTO "ledger_entry" ("user_id", "seq") VALUES (7, 1), (8, 1)',
        'INSERT INTO "metrics_metrictype" ("name") VALUES (\'x\')',
        'INSERT INTO "accounts_recoverycode" ("user_id", "digest") SELECT * FROM UNNEST((\'{5,6}\'::int2[])::integer[], '
        "('{a,b}'::varchar[])::varchar(64)[])",
        'SELECT 1 FROM "django_session" WHERE "django_session"."expire_date" < \'2026-01-01\'',
        'SELECT "auth_user"."id" FROM "auth_user" WHERE "auth_user"."is_active"',
        'SELECT 1 FROM "auth_user" WHERE "auth_user"."username" LIKE \'do%\' ESCAPE \'\\\'',
    ],
)
def test_a_statement_not_pinned_to_one_user_is_found(sql):
    assert problems(sql) != []


# ---- the journey


def csrf_free(client: Client) -> Client:
    return client  # the test client does not enforce CSRF


def form_id(response) -> str:
    found = re.search(r'name="client_entry_id" value="([0-9a-f-]{36})"', response.content.decode())
    assert found, "the form has no client_entry_id"
    return found.group(1)


def local(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def backfill_rows(html: str) -> list[str]:
    return re.findall(r'name="row" value="([0-9a-f-]+)"', html)


class Journey:
    """What a person does on every route, recording each response; the statements are captured around it."""

    def __init__(self):
        self.visited: set[str] = set()

    def ok(self, response, route: str, expect=(200, 201, 204, 302)) -> object:
        assert response.status_code in expect, (route, response.status_code, response.content[:500])
        self.visited.add(route)
        return response

    def run(self, tmp_path: Path) -> None:
        now = datetime.now(UTC)
        # Sign-up, log-in and log-out, as a new person would
        anonymous = Client()
        self.ok(anonymous.get("/"), "")
        self.ok(anonymous.get("/accounts/signup/"), "accounts/signup/")
        self.ok(
            anonymous.post(
                "/accounts/signup/",
                {"username": "dora", "password": PASSWORD, "password2": PASSWORD, "timezone": "UTC"},
            ),
            "accounts/signup/",
        )
        self.ok(anonymous.post("/accounts/logout/"), "accounts/logout/")
        self.ok(anonymous.get("/accounts/login/"), "accounts/login/")
        self.ok(anonymous.post("/accounts/login/", {"username": "dora", "password": PASSWORD}), "accounts/login/")
        web = anonymous
        self.ok(web.get("/"), "")
        self.ok(web.get("/welcome/"), "welcome/")
        self.ok(web.get("/offline/"), "offline/")
        self.ok(anonymous.get("/sw.js"), "sw.js")

        api = Api()
        self.ok(api.post("/api/v1/auth/register", {"username": "erin", "password": PASSWORD}), "api/v1/auth/register")
        token = self.ok(
            api.post("/api/v1/auth/token", {"username": "dora", "password": PASSWORD}), "api/v1/auth/token"
        ).json()["token"]
        api = Api(token)

        # Guides, public pages and the API's documents
        self.ok(web.get("/guides/"), "guides/")
        slug = self.ok(api.get("/api/v1/guides"), "api/v1/guides").json()["items"][0]["slug"]
        self.ok(web.get(f"/guides/{slug}/"), "guides/<slug:slug>/")
        self.ok(api.get(f"/api/v1/guides/{slug}"), "api/v1/guides/<slug>")
        self.ok(api.get("/api/v1/openapi.json"), "api/v1/openapi.json")
        self.ok(api.get("/api/v1/docs"), "api/v1/docs")
        self.ok(api.get("/api/v1/"), "api/v1/", expect=(200, 404))

        # Protocols, on the pages and through the API
        self.ok(web.get("/protocols/new/"), "protocols/new/")
        self.ok(
            web.post(
                "/protocols/new/",
                {
                    "compound": "finasteride",
                    "dose": "1",
                    "unit": "mg",
                    "route": "oral",
                    "every": "1",
                    "every_unit": "days",
                    "starts_on": (now - timedelta(days=10)).date().isoformat(),
                },
            ),
            "protocols/new/",
        )
        protocol = make_protocol(api, name="Sema", starts_on=(now - timedelta(days=30)).date().isoformat())
        self.visited.add("api/v1/protocols")
        pid = protocol["id"]
        self.ok(web.get("/protocols/"), "protocols/")
        self.ok(web.get(f"/protocols/{pid}/"), "protocols/<uuid:uid>/")
        self.ok(web.get(f"/protocols/{pid}/edit/"), "protocols/<uuid:uid>/edit/")
        self.ok(
            web.post(
                f"/protocols/{pid}/edit/",
                {
                    "compound": "semaglutide",
                    "name": "Sema",
                    "dose": "0.25",
                    "unit": "mg",
                    "route": "subcutaneous",
                    "every": "1",
                    "every_unit": "weeks",
                    "min_interval": "5",
                    "min_interval_unit": "days",
                    "max_single_dose": "2.4",
                    "sites": "abdomen left, thigh left",
                    "starts_on": (now - timedelta(days=30)).date().isoformat(),
                },
            ),
            "protocols/<uuid:uid>/edit/",
        )
        self.ok(api.get("/api/v1/protocols"), "api/v1/protocols")
        self.ok(api.get(f"/api/v1/protocols/{pid}"), "api/v1/protocols/<protocol_id>")
        self.ok(api.patch(f"/api/v1/protocols/{pid}", {"max_single_dose": "2.5"}), "api/v1/protocols/<protocol_id>")
        self.ok(
            web.post(f"/protocols/{pid}/step/", {"step": "2"}), "protocols/<uuid:uid>/step/"
        )  # no ladder: a message
        spare = make_protocol(api, name="Spare", starts_on=(now - timedelta(days=3)).date().isoformat())
        self.ok(web.post(f"/protocols/{spare['id']}/delete/"), "protocols/<uuid:uid>/delete/")  # no doses: deleted

        # Doses: logged on the page (with a warning confirmed), back-filled, through the API, corrected, voided
        form = self.ok(web.get(f"/doses/log/?protocol={pid}"), "doses/log/")
        post = {
            "protocol": pid,
            "amount": "0.25",
            "unit": "mg",
            "site": "abdomen left",
            "occurred_at": local(now - timedelta(days=1)),
            "client_entry_id": form_id(form),
        }
        self.ok(web.post("/doses/log/", post), "doses/log/")
        again = {
            **post,
            "client_entry_id": form_id(web.get(f"/doses/log/?protocol={pid}")),
            "occurred_at": local(now - timedelta(hours=2)),
        }
        warned = self.ok(web.post("/doses/log/", again), "doses/log/", expect=(409,))
        codes = sorted(set(re.findall(r'name="acknowledge" value="(\w+)"', warned.content.decode())))
        assert codes, "the page asked to confirm no warning"
        self.ok(web.post("/doses/log/", {**again, "acknowledge": codes}), "doses/log/")
        page = self.ok(web.get(f"/doses/backfill/{pid}/"), "doses/backfill/<uuid:uid>/").content.decode()
        rows = backfill_rows(page)[:2]
        data = {"row": rows}
        for row in rows:
            when = re.search(rf'name="occurred_at-{row}" value="([^"]*)"', page).group(1)
            data |= {
                f"include-{row}": "1",
                f"occurred_at-{row}": when,
                f"amount-{row}": "0.25",
                f"site-{row}": "thigh left",
            }
        self.ok(web.post(f"/doses/backfill/{pid}/", data), "doses/backfill/<uuid:uid>/")
        dose = self.ok(
            api.post(
                "/api/v1/doses",
                {
                    "protocol": pid,
                    "amount": "0.25",
                    "occurred_at": (now - timedelta(days=8)).isoformat(),
                    "acknowledge": ["too_soon", "off_schedule", "possible_duplicate"],
                },
                headers={"Idempotency-Key": "journey-1"},
            ),
            "api/v1/doses",
        ).json()
        self.ok(
            api.post(
                "/api/v1/doses",
                {
                    "protocol": pid,
                    "amount": "0.25",
                    "occurred_at": (now - timedelta(days=8)).isoformat(),
                    "acknowledge": ["too_soon", "off_schedule", "possible_duplicate"],
                },
                headers={"Idempotency-Key": "journey-1"},
            ),
            "api/v1/doses",
        )  # a replay
        self.ok(
            api.post("/api/v1/doses", {"compound": "ibuprofen", "amount": "200", "unit": "mg", "route": "oral"}),
            "api/v1/doses",
        )
        self.ok(api.get("/api/v1/doses"), "api/v1/doses")
        self.ok(api.get("/api/v1/doses", {"include": "corrections", "limit": 2}), "api/v1/doses")
        fixed = self.ok(
            api.post(
                f"/api/v1/entries/{dose['id']}/corrections",
                {"action": "correct", "reason": "wrong amount", "amount": "0.5", "acknowledge": ["too_soon"]},
            ),
            "api/v1/entries/<entry_id>/corrections",
        ).json()
        self.ok(
            api.post(f"/api/v1/entries/{fixed['id']}/corrections", {"action": "void", "reason": "twice"}),
            "api/v1/entries/<entry_id>/corrections",
        )

        # Side effects and metrics, pages and API
        form = self.ok(web.get(f"/side-effects/log/?protocol={pid}"), "side-effects/log/")
        self.ok(
            web.post(
                "/side-effects/log/",
                {
                    "client_entry_id": form_id(form),
                    "started_at": local(now),
                    "symptom": "headache",
                    "other": "",
                    "severity": "3",
                    "protocol": pid,
                },
            ),
            "side-effects/log/",
        )
        effect = self.ok(
            api.post("/api/v1/side-effects", {"symptom": "nausea", "severity": 2, "protocol": pid}),
            "api/v1/side-effects",
        ).json()
        self.ok(api.get("/api/v1/side-effects", {"protocol": pid}), "api/v1/side-effects")
        self.ok(web.get("/side-effects/"), "side-effects/")
        correct = self.ok(web.get(f"/history/{effect['id']}/correct/"), "history/<uuid:uid>/correct/")
        assert correct.status_code == 200
        self.ok(
            web.post(f"/history/{effect['id']}/correct/", {"action": "void", "reason": "not me"}),
            "history/<uuid:uid>/correct/",
        )

        self.ok(web.get("/metrics/types/"), "metrics/types/")
        self.ok(
            web.post("/metrics/types/", {"name": "Hair count", "unit": "n", "min": "", "max": ""}), "metrics/types/"
        )
        kind = self.ok(
            api.post("/api/v1/metric-types", {"name": "Shedding", "unit": "pts"}), "api/v1/metric-types"
        ).json()
        self.ok(api.get("/api/v1/metric-types"), "api/v1/metric-types")
        self.ok(api.get(f"/api/v1/metric-types/{kind['id']}"), "api/v1/metric-types/<type_id>")
        form = self.ok(web.get("/metrics/log/?type=weight"), "metrics/log/")
        self.ok(
            web.post(
                "/metrics/log/",
                {
                    "type": "weight",
                    "client_entry_id": form_id(form),
                    "measured_at": local(now),
                    "value": "81.5",
                    "unit": "kg",
                    "value2": "",
                    "note": "",
                    "protocol": "",
                },
            ),
            "metrics/log/",
        )
        self.ok(
            api.post("/api/v1/metrics", {"type": f"custom:{kind['id']}", "value": 3, "protocol": pid}), "api/v1/metrics"
        )
        self.ok(api.post("/api/v1/metrics", {"type": "weight", "value": 80}), "api/v1/metrics")
        self.ok(api.get("/api/v1/metrics"), "api/v1/metrics")
        self.ok(web.get("/metrics/"), "metrics/")

        # Supplies: added, reconstituted, drawn from in syringe units (by FIFO and by name), a loss, a discard
        self.ok(web.get("/supplies/add/"), "supplies/add/")
        added = self.ok(
            web.post("/supplies/add/", {"compound": "semaglutide", "form": "vial", "drug_unit": "mg", "powder": "5"}),
            "supplies/add/",
        )
        sid = added["Location"].split("?")[0].rstrip("/").split("/")[-1]
        self.ok(web.post(f"/supplies/{sid}/open/"), "supplies/<uuid:uid>/open/")
        self.ok(web.get(f"/supplies/{sid}/reconstitute/"), "supplies/<uuid:uid>/reconstitute/")
        self.ok(
            web.post(f"/supplies/{sid}/reconstitute/", {"powder": "5", "diluent": "2", "confirm": "1"}),
            "supplies/<uuid:uid>/reconstitute/",
        )
        self.ok(web.get(f"/supplies/{sid}/"), "supplies/<uuid:uid>/")
        self.ok(web.get(f"/supplies/{sid}/adjust/"), "supplies/<uuid:uid>/adjust/")
        self.ok(
            web.post(f"/supplies/{sid}/adjust/", {"amount": "0.1", "reason": "spilled"}), "supplies/<uuid:uid>/adjust/"
        )
        other = self.ok(
            api.post(
                "/api/v1/supplies", {"compound": "semaglutide", "form": "vial", "strength": "2.5", "quantity": "1"}
            ),
            "api/v1/supplies",
        ).json()
        self.ok(
            api.post(f"/api/v1/supplies/{other['id']}/events", {"action": "open"}), "api/v1/supplies/<supply_id>/events"
        )
        self.ok(api.get("/api/v1/supplies"), "api/v1/supplies")
        self.ok(api.get(f"/api/v1/supplies/{other['id']}"), "api/v1/supplies/<supply_id>")
        self.ok(api.get(f"/api/v1/supplies/{other['id']}/events"), "api/v1/supplies/<supply_id>/events")
        powder = self.ok(
            api.post("/api/v1/supplies", {"compound": "semaglutide", "form": "vial", "powder": "10"}), "api/v1/supplies"
        ).json()
        self.ok(
            api.post(f"/api/v1/supplies/{powder['id']}/reconstitute", {"diluent": "2"}),
            "api/v1/supplies/<supply_id>/reconstitute",
        )
        everything = ["too_soon", "off_schedule", "possible_duplicate", "expired_supply", "insufficient_supply"]
        for supply in (sid, None):
            body = {"protocol": pid, "amount": "10", "unit": "syringe_units", "acknowledge": everything}
            body |= (
                {"supply": supply, "occurred_at": (now - timedelta(days=3)).isoformat()}
                if supply
                else {"unit": "mg", "amount": "0.25", "occurred_at": (now - timedelta(days=4)).isoformat()}
            )
            self.ok(api.post("/api/v1/doses", body), "api/v1/doses")
        form = self.ok(web.get(f"/doses/log/?protocol={pid}&supply={sid}"), "doses/log/")
        self.ok(
            web.post(
                "/doses/log/",
                {
                    "protocol": pid,
                    "amount": "10",
                    "unit": "syringe_units",
                    "supply": sid,
                    "syringe": "U-100",
                    "site": "abdomen left",
                    "occurred_at": local(now - timedelta(days=5)),
                    "client_entry_id": form_id(form),
                    "acknowledge": everything,
                },
            ),
            "doses/log/",
        )
        self.ok(web.get("/supplies/"), "supplies/")
        self.ok(web.get(f"/supplies/{sid}/discard/"), "supplies/<uuid:uid>/discard/")
        self.ok(web.post(f"/supplies/{sid}/discard/", {"reason": "old"}), "supplies/<uuid:uid>/discard/")
        self.ok(Client().get("/supplies/calculator/", {"amount": "0.25", "strength": "2.5"}), "supplies/calculator/")
        self.ok(
            Client().get("/api/v1/calculator", {"amount": "10", "unit": "syringe_units", "strength": "2.5"}),
            "api/v1/calculator",
        )

        # The whole record, its check, the ledger, settings and the calendar
        self.ok(web.get("/history/"), "history/")
        self.ok(web.post("/history/verify/"), "history/verify/")
        self.ok(web.get("/history/checkpoint.json"), "history/checkpoint.json")
        self.ok(web.get("/history/verify/"), "history/verify/", expect=(200, 302, 405))
        self.ok(api.get("/api/v1/ledger"), "api/v1/ledger")
        self.ok(api.get("/api/v1/ledger", {"after": 2, "limit": 3}), "api/v1/ledger")
        self.ok(api.get("/api/v1/ledger/verify"), "api/v1/ledger/verify")
        self.ok(web.get("/accounts/settings/"), "accounts/settings/")
        self.ok(web.post("/accounts/settings/", {"timezone": "Europe/Berlin"}), "accounts/settings/")
        self.ok(web.post("/accounts/settings/", {"form": "units", "unit-weight": "lb"}), "accounts/settings/")
        rotated = self.ok(web.post("/accounts/settings/", {"calendar": "rotate"}), "accounts/settings/")
        feed = re.search(r"/calendar/([^\"<\s]+)\.ics", rotated.content.decode()).group(1)
        self.ok(Client().get(f"/calendar/{feed}.ics"), "calendar/<str:token>.ics")
        self.reminders(web, pid)
        self.ok(web.get("/"), "")
        self.charts(web, api, pid)
        self.your_data(web, api, pid)
        self.ok(web.post("/accounts/logout/"), "accounts/logout/")
        self.account_lifecycle()
        self.two_step()

    def reminders(self, web: Client, pid: str) -> None:
        """Reminder settings, and a device subscribing to push reminders and leaving again."""
        self.ok(web.get("/reminders/"), "reminders/")
        self.ok(
            web.post("/reminders/", {"protocol": pid, "email": pid, "overdue": pid, f"at-{pid}": "08:30"}), "reminders/"
        )
        endpoint = "https://push.example.org/dora"
        device = {"endpoint": endpoint, "keys": {"p256dh": "BA" + "A" * 85, "auth": "A" * 22}}
        push = {"VAPID_PUBLIC_KEY": "k", "VAPID_PRIVATE_KEY": "k", "VAPID_SUBJECT": "mailto:a@example.org"}
        with override_settings(**push, PUSH_SERVICES=["https://push.example.org"]):
            self.ok(web.get("/accounts/settings/"), "accounts/settings/")
            self.ok(
                web.post("/reminders/push/subscribe/", json.dumps(device), content_type="application/json"),
                "reminders/push/subscribe/",
            )
            self.ok(
                web.post("/reminders/push/unsubscribe/", json.dumps({"endpoint": endpoint}), "application/json"),
                "reminders/push/unsubscribe/",
            )

    def two_step(self) -> None:
        """Two-step verification turned on, then a log-in with a code."""
        make_user("gus")
        web = Client()
        web.force_login(User.objects.get(username="gus"))
        page = self.ok(web.get("/accounts/two-step/"), "accounts/two-step/").content.decode()
        secret = re.search(r'id="setup-key" class="setup-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
        enable = {"action": "enable", "code": pyotp.TOTP(secret).now(), "password": PASSWORD}
        self.ok(web.post("/accounts/two-step/", enable), "accounts/two-step/")
        self.ok(web.post("/accounts/logout/"), "accounts/logout/")
        TwoStep.objects.filter(user=User.objects.get(username="gus")).update(
            last_step=0
        )  # the same 30-second code, once more
        self.ok(web.post("/accounts/login/", {"username": "gus", "password": PASSWORD}), "accounts/login/")
        self.ok(web.get("/accounts/login/code/"), "accounts/login/code/")
        self.ok(web.post("/accounts/login/code/", {"code": pyotp.TOTP(secret).now()}), "accounts/login/code/")

    def charts(self, web: Client, api: Api, pid: str) -> None:
        """The chart series and pages, for one protocol and for all."""
        for range_ in ("7d", "all"):
            self.ok(
                api.get(f"/api/v1/charts/protocols/{pid}", {"range": range_}), "api/v1/charts/protocols/<protocol_id>"
            )
        self.ok(api.get("/api/v1/charts/timeline", {"range": "1y"}), "api/v1/charts/timeline")
        self.ok(api.get("/api/v1/charts/metrics", {"type": "weight", "range": "all"}), "api/v1/charts/metrics")
        self.ok(web.get(f"/timeline/{pid}/", {"range": "all"}), "timeline/<uuid:uid>/")
        self.ok(web.get("/timeline/", {"range": "30d"}), "timeline/")

    def your_data(self, web: Client, api: Api, pid: str) -> None:
        """Exports, checking a kept copy, import, the clinician report, on the pages and through the API."""
        self.ok(web.get("/data/"), "data/")
        kept = b"".join(self.ok(web.get("/data/export.json"), "data/export.json").streaming_content)
        b"".join(self.ok(web.get("/data/export.csv.zip"), "data/export.csv.zip").streaming_content)
        b"".join(self.ok(web.get("/data/export.fhir.json"), "data/export.fhir.json").streaming_content)
        for path in ("export.json", "export.csv.zip", "export.fhir.json"):
            b"".join(self.ok(api.get(f"/api/v1/{path}"), f"api/v1/{path}").streaming_content)
        self.ok(web.get("/data/check/"), "data/check/")
        self.ok(web.post("/data/check/", {"file": SimpleUploadedFile("kept.json", kept)}), "data/check/")
        self.ok(
            api.client.post("/api/v1/export/verify", kept, content_type="application/json", headers=api._headers(None)),
            "api/v1/export/verify",
        )
        template = self.ok(web.get("/data/import/template.csv"), "data/import/template.csv").content
        self.ok(web.get("/data/import/"), "data/import/")
        csv = template.decode().splitlines()[0] + "\n"  # the header alone: nothing to record
        self.ok(
            web.post("/data/import/", {"file": SimpleUploadedFile("doses.csv", csv.encode())}),
            "data/import/",
            expect=(200, 409, 422),
        )
        self.ok(web.get("/data/report/"), "data/report/")
        self.ok(web.get("/data/report/", {"protocol": pid, "make": "1"}), "data/report/")

    def account_lifecycle(self) -> None:
        """Tokens, password change and reset, and erasure, for an account of its own."""
        make_user("fay")
        web = Client()
        web.force_login(User.objects.get(username="fay"))
        self.ok(web.get("/accounts/tokens/"), "accounts/tokens/")
        self.ok(web.post("/accounts/tokens/", {"name": "phone", "expires": ""}), "accounts/tokens/")
        token = ApiToken.objects.filter(user__username="fay").first()
        self.ok(web.post("/accounts/tokens/", {"action": "revoke", "token": token.pk}), "accounts/tokens/")
        caller = Api(issue_token(User.objects.get(username="fay")))
        self.ok(caller.client.delete("/api/v1/auth/token", headers=caller._headers(None)), "api/v1/auth/token")
        self.ok(web.get("/accounts/password/"), "accounts/password/")
        changed = "a new horse battery staple 77"
        self.ok(
            web.post(
                "/accounts/password/",
                {"old_password": PASSWORD, "new_password1": changed, "new_password2": changed},
            ),
            "accounts/password/",
        )
        self.ok(web.post("/accounts/settings/", {"form": "email", "email": "fay@example.org"}), "accounts/settings/")
        anonymous = Client()
        self.ok(anonymous.get("/accounts/password/reset/"), "accounts/password/reset/")
        self.ok(anonymous.post("/accounts/password/reset/", {"email": "fay@example.org"}), "accounts/password/reset/")
        self.ok(anonymous.get("/accounts/password/reset/sent/"), "accounts/password/reset/sent/")
        user = User.objects.get(username="fay")
        uid, key = urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)
        link = self.ok(
            anonymous.get(f"/accounts/password/reset/{uid}/{key}/"), "accounts/password/reset/<uidb64>/<token>/"
        )
        reset = {"new_password1": "third horse battery staple 9", "new_password2": "third horse battery staple 9"}
        self.ok(anonymous.post(link["Location"], reset), "accounts/password/reset/<uidb64>/<token>/")
        self.ok(anonymous.get("/accounts/password/reset/done/"), "accounts/password/reset/done/")
        web.force_login(User.objects.get(username="fay"))
        self.ok(web.get("/accounts/delete/"), "accounts/delete/")
        self.ok(web.post("/accounts/delete/", {"password": "third horse battery staple 9"}), "accounts/delete/")


@pytest.fixture
def others(db):
    """Bob's rows in every per-user table, so an unscoped query would have another user's rows to find."""
    bob = make_user("bob")
    api = Api(issue_token(bob))
    protocol = make_protocol(api, name="BOB protocol")
    api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25"}, headers={"Idempotency-Key": "b-1"})
    api.post("/api/v1/metric-types", {"name": "BOB type", "unit": "n"})
    rotate_calendar_token(bob)
    from shotlee.reminders.models import PushSubscription, ReminderSetting, SentReminder

    ReminderSetting.objects.create(user=bob, protocol_uid=protocol["id"], email=True)
    PushSubscription.objects.create(user=bob, endpoint="https://push.example.org/dora", p256dh="k", auth="a")
    SentReminder.objects.create(
        user=bob,
        protocol_uid=protocol["id"],
        due_at=datetime.now(UTC),
        kind="due",
        channel="email",
        claimed_at=datetime.now(UTC),
    )
    call_command("load_guides", verbosity=0)
    return bob


def test_every_statement_of_a_journey_through_every_route_is_pinned_to_one_user(others, tmp_path):
    journey = Journey()
    with CaptureQueriesContext(connection) as captured:
        journey.run(tmp_path)
    assert journey.visited >= KNOWN_ROUTES - {"api/v1/"}, KNOWN_ROUTES - journey.visited
    checker = Checker("postgres" if connection.vendor == "postgresql" else "sqlite")
    statements = [q["sql"] for q in captured.captured_queries]
    found = {problem for sql in statements for problem in checker.problems(sql)}
    assert len(statements) > 300, len(statements)  # the capture saw the journey
    if os.environ.get("SHOTLEE_SCOPE_DUMP"):
        Path(os.environ["SHOTLEE_SCOPE_DUMP"]).write_text("\n".join(sorted(found)) + "\n\n" + "\n".join(statements))
    assert sorted(found) == []


# ---- the schema: every table has a place in the plan, and distributed tables' keys hold their column


def documented_plan() -> dict[str, str]:
    text = (Path(__file__).resolve().parent.parent / "docs" / "deploy.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| (distributed by `(\w+)`|reference|local) \|", text, re.M)
    return {table: column or placement for table, placement, column in rows}


def test_every_table_has_a_place_in_the_distribution_plan_and_the_docs_give_the_same_plan(db):
    tables = set(connection.introspection.table_names())
    assert tables - set(PLAN) == set(), "add each new table to PLAN (tests/query_scope.py) and docs/deploy.md"
    assert documented_plan() == PLAN


def test_every_unique_key_of_a_distributed_table_holds_its_distribution_column(db):
    with connection.cursor() as cursor:
        for table, column in PLAN.items():
            if column in ("reference", "local"):
                continue
            constraints = connection.introspection.get_constraints(cursor, table)
            for name, info in constraints.items():
                if not (info["unique"] or info["primary_key"]):
                    continue
                if info["primary_key"] and connection.vendor == "sqlite" and info["columns"] == ["id"]:
                    continue  # SQLite is never sharded; its tables keep `id` alone (ledger/distribution.py)
                assert column in info["columns"], (table, name, info["columns"])
