from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from config import health, metrics
from loans import views as loan_views

urlpatterns = [
    path("", loan_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("accounts/login/", account_views.StaffLoginView.as_view(), name="login"),
    path(
        "accounts/password_reset/",
        account_views.StaffPasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("loans/", include("loans.urls")),
    path("collections/", include("recovery.urls")),
    path("insight/", include("insight.urls")),
    path("watch/", include("watch.urls")),
    path("notifications/", include("workflow.urls")),
    path("admin/", admin.site.urls),
    path(
        "api/v1/insight/watch-list/",
        include(("watch.api.urls", "watch-api"), namespace="watch-api"),
    ),
    path("api/v1/insight/", include(("insight.api.urls", "insight-api"), namespace="insight-api")),
    path("api/v1/", include(("loans.api.urls", "api"), namespace="api")),
    path("api/v1/", include(("recovery.api.urls", "recovery-api"), namespace="recovery-api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Behind login (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]); the docs page sends a browser to
    # the login page instead of answering 401. The split view serves Swagger UI's start-up script
    # as a file: no inline script (CSP).
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
]

handler400 = "loans.api.errors.bad_request"
handler403 = "loans.api.errors.permission_denied"
handler404 = "loans.api.errors.not_found"
handler500 = "loans.api.errors.server_error"
