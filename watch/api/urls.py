from rest_framework.routers import DefaultRouter

from watch.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("", views.WatchItemViewSet, basename="watch-item")

urlpatterns = router.urls
