from django.urls import path

from shotlee.supplies import views

app_name = "supplies"
urlpatterns = [
    path("", views.supply_list, name="list"),
    path("add/", views.supply_add, name="add"),
    path("calculator/", views.calculator, name="calculator"),
    path("<uuid:uid>/", views.supply_detail, name="detail"),
    path("<uuid:uid>/open/", views.supply_open, name="open"),
    path("<uuid:uid>/reconstitute/", views.supply_reconstitute, name="reconstitute"),
    path("<uuid:uid>/adjust/", views.supply_adjust, name="adjust"),
    path("<uuid:uid>/discard/", views.supply_discard, name="discard"),
]
