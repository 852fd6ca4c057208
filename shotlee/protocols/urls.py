from django.urls import path

from shotlee.protocols import views

app_name = "protocols"
urlpatterns = [
    path("", views.protocol_list, name="list"),
    path("new/", views.protocol_new, name="new"),
    path("<uuid:uid>/", views.protocol_detail, name="detail"),
    path("<uuid:uid>/edit/", views.protocol_edit, name="edit"),
    path("<uuid:uid>/step/", views.protocol_step, name="step"),
    path("<uuid:uid>/delete/", views.protocol_delete, name="delete"),
]
