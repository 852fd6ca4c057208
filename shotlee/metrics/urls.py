from django.urls import path

from shotlee.metrics import views

app_name = "metrics"
urlpatterns = [
    path("", views.metric_list, name="list"),
    path("log/", views.metric_log, name="log"),
    path("types/", views.metric_types, name="types"),
]
