from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path, reverse_lazy

from shotlee.accounts import twostep_views, views

app_name = "accounts"
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", twostep_views.login_view, name="login"),
    path("login/code/", twostep_views.login_code, name="login_code"),
    path("two-step/", twostep_views.two_step, name="two_step"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/", views.account_settings, name="settings"),
    path("password/", views.password_change, name="password_change"),
    path(
        "password/reset/",
        login_not_required(
            auth_views.PasswordResetView.as_view(
                template_name="accounts/password_reset.html",
                email_template_name="accounts/password_reset_email.txt",
                subject_template_name="accounts/password_reset_subject.txt",
                success_url=reverse_lazy("accounts:password_reset_done"),
            )
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        login_not_required(auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        login_not_required(views.ResetConfirm.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        login_not_required(
            auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html")
        ),
        name="password_reset_complete",
    ),
    path("tokens/", views.api_tokens, name="tokens"),
    path("delete/", views.delete_account, name="delete"),
]
