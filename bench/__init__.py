"""The Shotlee benchmark (`make bench`, `python -m bench`, `bench/run.py`).

- cli.py: the options; orchestrate.py: the parent process (one child per
  engine, then verdicts and report); engine.py: one engine's run in its child
  (database, Django, users, servers, the scenarios in order, cleanup);
- scenarios/: one module per scenario; seed.py: users and fast seeding of
  valid histories; load.py and servers.py: HTTP load (wrk or Python clients)
  and gunicorn; measure.py: rows and statistics;
- targets.py: the targets, as ratios to references of the same run, and their
  verdicts; report.py: the Markdown table and the JSON file;
- app.py: every import from shotlee/ (the one module to change when Shotlee's
  internals move); minimal_app.py: the minimal Django app the HTTP references
  are served from; wrk_load.lua: wrk's requests.

See docs/bench.md.
"""
