from django.urls import path

from shotlee.history import views

app_name = "history"
urlpatterns = [
    path("", views.history, name="list"),
    path("verify/", views.verify_chain, name="verify"),
    path("checkpoint.json", views.checkpoint, name="checkpoint"),
    path("<uuid:uid>/correct/", views.correct, name="correct"),
]
