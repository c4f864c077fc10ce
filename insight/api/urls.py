from django.urls import path

from insight.api import process, scorecard, views

urlpatterns = [
    path("portfolio/structure/", views.StructureView.as_view(), name="portfolio-structure"),
    path("portfolio/trend/", views.TrendView.as_view(), name="portfolio-trend"),
    path("portfolio/loans/", views.FigureLoansView.as_view(), name="portfolio-loans"),
    path("scorecard/", scorecard.ScorecardView.as_view(), name="scorecard"),
    path("process/", process.ProcessView.as_view(), name="process"),
]
