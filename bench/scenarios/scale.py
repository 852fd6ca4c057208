"""Scale (PostgreSQL only): 1,000 users, 4 gunicorn workers, 32 clients recording doses and reading pages for a
bounded time; then every chain must verify. Next to it, the same run's plain Django insert at the same workers
and clients (the reference its rate and p95 are divided by).

The mix, per user in turn (bench/wrk_scale.lua): two doses (POST /api/v1/doses), the dose list (GET
/api/v1/doses) and the history page (GET /history/, signed in). The users are made here, not through `users()`:
1,000 Argon2 hashes would take minutes, so their passwords are hashed with a cheap hasher (they sign in by token
and session, never by password). Every answer must be 2xx or 3xx: any other is an error, and the row misses.
"""

from __future__ import annotations

import os
import subprocess
import time
from typing import TYPE_CHECKING

from bench.common import BENCH_DIR, log
from bench.load import REQUEST_TIMEOUT
from bench.measure import Row
from bench.seed import UserSpec, create_user

if TYPE_CHECKING:
    from bench.engine import Engine

USERS = 1000
WORKERS = 4
CLIENTS = 32
WRK_THREADS = 4


def users(ctx: Engine) -> dict[str, UserSpec]:
    return {}  # made in run(): see the module's docstring


def make_users(ctx: Engine) -> list[str]:
    """USERS bench users with a protocol, a token and a session: one line each for wrk_scale.lua."""
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    lines = []
    t0 = time.perf_counter()
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for i in range(USERS):
            name = f"scale{i:04d}"
            user = create_user(name, UserSpec(), ctx.now)
            ctx.users[name] = user
            client = Client()
            client.force_login(user.user)
            cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
            stream = user.stream
            lines.append(
                f"{user.token} {user.protocol_uid} {cookie} {int(stream.base.timestamp())} "
                f"{int(stream.step.total_seconds())}"
            )
    log(f"scale: {USERS} users with a protocol, a token and a session in {time.perf_counter() - t0:.1f} s")
    return lines


def wrk(ctx: Engine, port: int, script_args: list[str], duration: float, lua: str) -> dict[str, float]:
    seconds = max(1, round(duration))
    cmd = [ctx.load.wrk, f"-t{WRK_THREADS}", f"-c{CLIENTS}", f"-d{seconds}s", "--timeout", f"{REQUEST_TIMEOUT}s"]
    cmd += ["-s", str(BENCH_DIR / lua), f"http://127.0.0.1:{port}", "--", *script_args]
    env = {**os.environ, "WRK_THREADS": str(WRK_THREADS)}
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + REQUEST_TIMEOUT + 30, env=env)
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary (exit {out.returncode}): {out.stdout[-500:]} {out.stderr[-500:]}")
    f = {k: int(float(v)) for k, v in (item.split("=") for item in line.split()[1:])}
    errors = f["status_errors"] + f["socket_errors"]
    return {
        "n": f["requests"],
        "errors": errors,
        "p50": f["p50_us"] / 1000,
        "p95": f["p95_us"] / 1000,
        "rate": (f["requests"] - errors) / (f["duration_us"] / 1e6),
    }


def dose_count() -> int:
    from bench import app

    return app.Entry.objects.filter(kind="dose").count()


def _verify_all(ctx: Engine) -> tuple[str, float]:
    """Every user's chain, after the load (a chain that does not verify is an error of the run)."""
    from bench import app

    t0 = time.perf_counter()
    try:
        out = app.verify_ledger()  # every user's chain, after the load (raises if one does not verify)
        verified = out.strip().splitlines()[-1]  # "N chain(s) checked, 0 problem(s)"
    except Exception as exc:  # noqa: BLE001
        verified = f"VERIFY FAILED: {exc}"
        ctx.errors.append(f"scale: {verified}")
    verify_s = time.perf_counter() - t0

    return verified, verify_s


def run(ctx: Engine) -> None:
    if ctx.engine != "postgresql" or not ctx.http:
        return
    if not ctx.load.wrk:
        ctx.notes.append("Scale scenario skipped: it needs wrk (apt-get install wrk) for 32 clients.")
        return
    lines = make_users(ctx)
    users_file = ctx.tmp / "scale-users.txt"
    users_file.write_text("\n".join(lines) + "\n")
    duration = 5.0 if ctx.quick else 15.0
    setup = (WORKERS, 1)

    minimal = ctx.servers.start("bench.minimal_app:application", ctx.server_env(minimal=True), "/", setup)
    try:
        wrk(ctx, minimal.port, ["insert", "/insert"], 1.0, "wrk_load.lua")  # warm-up
        insert = wrk(ctx, minimal.port, ["insert", "/insert"], duration, "wrk_load.lua")
    finally:
        ctx.servers.stop(minimal)
    server = ctx.servers.start("shotlee.wsgi:application", ctx.server_env(), "/accounts/login/", setup)
    try:
        before = dose_count()
        mixed = wrk(ctx, server.port, [str(users_file)], duration, "wrk_scale.lua")
        written = dose_count() - before
    finally:
        ctx.servers.stop(server)
    if mixed["errors"]:
        ctx.errors.append(f"scale: {mixed['errors']} of {mixed['n']} requests failed | {server.log_tail()}")

    verified, verify_s = _verify_all(ctx)

    label = f"{USERS:,} users, {WORKERS} workers, {CLIENTS} clients"
    ctx.add(
        Row(
            "ref.plain_insert.http.32c",
            f"reference: plain Django insert ({WORKERS} workers, {CLIENTS} clients)",
            "HTTP",
            clients=CLIENTS,
            n=insert["n"],
            errors=insert["errors"],
            p50=insert["p50"],
            p95=insert["p95"],
            rate=insert["rate"],
            rate_unit="inserts/s",
        )
    )
    ctx.add(
        Row(
            "scale.http.32c",
            f"mixed load: doses, dose list, history page ({label})",
            "HTTP",
            size=USERS,
            clients=CLIENTS,
            n=mixed["n"],
            errors=mixed["errors"],
            p50=mixed["p50"],
            p95=mixed["p95"],
            rate=mixed["rate"],
            rate_unit="req/s",
            reference="ref.plain_insert.http.32c",
            note=f"{written:,} doses recorded ({written / duration:.0f}/s); {verified} after the run "
            f"(verify_ledger {verify_s:.1f} s)",
        )
    )
