from django.contrib import admin
from django.urls import include, path

from shotlee.accounts import views as account_views
from shotlee.api.urls import api

urlpatterns = [
    path("api/v1/", api.urls),  # first: most requests are API calls, and resolving walks this list in order
    path("", account_views.home, name="home"),
    path("accounts/", include("shotlee.accounts.urls")),
    path("guides/", include("shotlee.guides.urls")),
    path("protocols/", include("shotlee.protocols.urls")),
    path("doses/", include("shotlee.doses.urls")),
    path("side-effects/", include("shotlee.symptoms.urls")),
    path("metrics/", include("shotlee.metrics.urls")),
    path("calendar/", include("shotlee.reports.urls")),
    path("admin/", admin.site.urls),
]
