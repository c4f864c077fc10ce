from django.urls import path

from insight import views, views_process, views_scorecard

app_name = "insight"
urlpatterns = [
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/loans/", views.portfolio_loans, name="portfolio-loans"),
    path("portfolio/export.<str:fmt>", views.portfolio_export, name="portfolio-export"),
    path("scorecard/", views_scorecard.scorecard_page, name="scorecard"),
    path("scorecard/behind/", views_scorecard.scorecard_behind, name="scorecard-behind"),
    path("scorecard/export.<str:fmt>", views_scorecard.scorecard_export, name="scorecard-export"),
    path("process/", views_process.process, name="process"),
    path("process/export.<str:fmt>", views_process.process_export, name="process-export"),
]
