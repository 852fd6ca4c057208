from django.urls import path

from shotlee.reports import views

app_name = "reports"
urlpatterns = [
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar"),
    path("data/", views.your_data, name="data"),
    path("data/export.json", views.download_json, name="export_json"),
    path("data/export.csv.zip", views.download_csv, name="export_csv"),
    path("data/export.fhir.json", views.download_fhir, name="export_fhir"),
    path("data/check/", views.check_kept, name="check"),
    path("data/import/", views.import_data, name="import"),
    path("data/import/template.csv", views.import_template, name="import_template"),
    path("data/report/", views.clinician_report, name="report"),
]
