from django.urls import path

from recovery import views

app_name = "recovery"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/transitions/<slug:name>/", views.case_transition, name="transition"),
    path("<int:pk>/actions/<slug:name>/", views.case_action, name="action"),
]
