from rest_framework.routers import DefaultRouter

from recovery.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("collections", views.CollectionCaseViewSet, basename="collection")

urlpatterns = router.urls
