from django.urls import path

from shotlee.reports import views

app_name = "reports"
urlpatterns = [path("<str:token>.ics", views.calendar_feed, name="calendar")]
