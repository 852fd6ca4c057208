from django.urls import path

from shotlee.doses import views

app_name = "doses"
urlpatterns = [
    path("log/", views.log_dose, name="log"),
    path("history/", views.history, name="history"),
    path("history/verify/", views.verify_chain, name="verify"),
    path("entries/<uuid:uid>/correct/", views.correct, name="correct"),
    path("backfill/<uuid:uid>/", views.backfill, name="backfill"),
    path("records/<uuid:uid>/correct/", views.correct_record, name="correct_record"),
]
