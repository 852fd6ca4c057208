from django.urls import path

from shotlee.doses import views

app_name = "doses"
urlpatterns = [
    path("log/", views.log_dose, name="log"),
    path("backfill/<uuid:uid>/", views.backfill, name="backfill"),
]
