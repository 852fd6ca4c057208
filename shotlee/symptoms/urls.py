from django.urls import path

from shotlee.symptoms import views

app_name = "symptoms"
urlpatterns = [
    path("", views.side_effect_list, name="list"),
    path("log/", views.side_effect_log, name="log"),
]
