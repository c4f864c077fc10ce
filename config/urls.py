from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="loans:list"), name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("loans/", include("loans.urls")),
    path("notifications/", include("workflow.urls")),
    path("admin/", admin.site.urls),
]
