from django.urls import path

from shotlee.charts import views

app_name = "charts"
urlpatterns = [
    path("", views.all_timeline, name="timeline"),
    path("<uuid:uid>/", views.protocol_timeline, name="protocol"),
]
