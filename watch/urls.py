from django.urls import path

from watch import views

app_name = "watch"
urlpatterns = [
    path("", views.watch_list, name="list"),
    path("<int:pk>/", views.item_detail, name="detail"),
    path("<int:pk>/resolve/", views.item_resolve, name="resolve"),
    path("<int:pk>/notes/", views.item_note, name="note"),
]
