from django.urls import path
from rest_framework.routers import DefaultRouter

from loans.api import views
from loans.api.records import record_views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("borrowers", views.BorrowerViewSet, basename="borrower")
router.register("loans", views.LoanViewSet, basename="loan")
router.register("deviations", views.DeviationViewSet, basename="deviation")
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = [
    *[
        path(f"loans/<int:pk>/{segment}/", view.as_view(), name=f"loan-{segment}")
        for segment, view in record_views()
    ],
    path("loans/<int:pk>/conditions/", views.ConditionListView.as_view(), name="loan-conditions"),
    path(
        "loans/<int:pk>/conditions/<int:condition_id>/fulfil/",
        views.ConditionFulfilView.as_view(),
        name="loan-condition-fulfil",
    ),
    path("policy/", views.PolicyView.as_view(), name="policy"),
    *router.urls,
]
