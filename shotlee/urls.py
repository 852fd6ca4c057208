from django.contrib import admin
from django.urls import include, path

from shotlee.accounts.views import admin_login
from shotlee.api.urls import api
from shotlee.charts import views as charts
from shotlee.web import views as web

urlpatterns = [
    path("api/v1/", api.urls),  # first: most requests are API calls, and resolving walks this list in order
    path("", charts.home, name="home"),
    path("accounts/", include("shotlee.accounts.urls")),
    path("guides/", include("shotlee.guides.urls")),
    path("protocols/", include("shotlee.protocols.urls")),
    path("doses/", include("shotlee.doses.urls")),
    path("history/", include("shotlee.history.urls")),
    path("side-effects/", include("shotlee.symptoms.urls")),
    path("metrics/", include("shotlee.metrics.urls")),
    path("reminders/", include("shotlee.reminders.urls")),
    path("supplies/", include("shotlee.supplies.urls")),
    path("", include("shotlee.reports.urls")),  # calendar/ and data/
    path("timeline/", include("shotlee.charts.urls")),
    path("sw.js", web.service_worker, name="service_worker"),  # at the root: a worker's scope is its folder
    path("offline/", web.offline, name="offline"),
    path("welcome/", web.welcome, name="welcome"),
    # The admin logs in through the site's log-in (lockout, two-step verification): one way in to protect.
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
]
