from django.urls import path

from loans import views

app_name = "loans"
urlpatterns = [
    path("", views.loan_list, name="list"),
    path("mine/", views.my_loans, name="mine"),
    path("queue/", views.queue, name="queue"),
    path("<int:pk>/", views.loan_detail, name="detail"),
    path("<int:pk>/transitions/<slug:name>/", views.loan_transition, name="transition"),
]
