from django.urls import path

from insight import views, views_process

app_name = "insight"
urlpatterns = [
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/loans/", views.portfolio_loans, name="portfolio-loans"),
    path("portfolio/export.<str:fmt>", views.portfolio_export, name="portfolio-export"),
    path("process/", views_process.process, name="process"),
    path("process/export.<str:fmt>", views_process.process_export, name="process-export"),
]
