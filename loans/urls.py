from django.urls import path

from loans import application_views, oversight_views, views

app_name = "loans"
urlpatterns = [
    path("", views.loan_list, name="list"),
    path("mine/", views.my_loans, name="mine"),
    path("new/borrower/", application_views.borrower_add, name="borrower-add"),
    path("new/", application_views.application_add, name="application-add"),
    path("<int:pk>/contract/", application_views.contract_edit, name="contract"),
    path(
        "<int:pk>/conditions/<int:condition_id>/fulfil/",
        application_views.condition_fulfil,
        name="condition-fulfil",
    ),
    path("queue/", views.queue, name="queue"),
    path("<int:pk>/", views.loan_detail, name="detail"),
    path("<int:pk>/transitions/<slug:name>/", views.loan_transition, name="transition"),
    path("<int:pk>/records/<slug:path>/", views.loan_record_add, name="record-add"),
    path("deviations/", oversight_views.deviation_log, name="deviations"),
    path("deviations/export.csv", oversight_views.deviation_export, name="deviations-export"),
    path("deviations/<int:pk>/", oversight_views.deviation_detail, name="deviation"),
    path("reference-changes/", oversight_views.reference_changes, name="reference-changes"),
    path("overview/", oversight_views.branch_overview, name="overview"),
]
