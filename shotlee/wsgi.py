import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shotlee.settings")
application = get_wsgi_application()

# Refuse to serve when an append-only trigger is missing (ledger.E001): writes
# would then rest on the ORM guards alone. runserver runs the same check.
from django.core import checks  # noqa: E402
from django.core.management.base import SystemCheckError  # noqa: E402

_errors = [e for e in checks.run_checks(tags=["ledger"]) if e.is_serious()]
if _errors:
    raise SystemCheckError("\n".join(f"{e.id}: {e.msg} ({e.hint})" for e in _errors))

# Import the URL map now (and with it the API's routers and schemas), so the first request a worker serves
# does not pay for it: about half a second on a small machine.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018
