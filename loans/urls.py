from django.urls import path

from loans import (
    action_views,
    application_views,
    deviation_views,
    document_views,
    export_views,
    feed_views,
    memo_views,
    oversight_views,
    reveal_views,
    search_views,
    views,
)

app_name = "loans"
urlpatterns = [
    path("", views.loan_list, name="list"),
    path("mine/", views.my_loans, name="mine"),
    path("new/borrower/", application_views.borrower_add, name="borrower-add"),
    path("new/", application_views.application_add, name="application-add"),
    path("queue/", views.queue, name="queue"),
    path("search/", search_views.search, name="search"),
    path("<int:pk>/", views.loan_detail, name="detail"),
    path("<int:pk>/transitions/<slug:name>/", views.loan_transition, name="transition"),
    path("<int:pk>/reveal/", reveal_views.loan_reveal, name="reveal"),
    path("<int:pk>/memo/", memo_views.approval_memo, name="approval_memo"),
    path("<int:pk>/summary/", memo_views.loan_summary, name="loan_summary"),
    path("export.csv", export_views.loan_export, name="export"),
    path("<int:pk>/records/<slug:path>/", action_views.record_add, name="record-add"),
    path("<int:pk>/actions/<slug:name>/", action_views.loan_action, name="action"),
    path(
        "<int:pk>/actions/<slug:name>/<int:record_id>/",
        action_views.loan_action,
        name="record-action",
    ),
    path(
        "<int:pk>/documents/<int:document_id>/",
        document_views.document_file,
        name="document",
    ),
    path(
        "<int:pk>/documents/<int:document_id>/thumbnail/",
        document_views.document_file,
        {"variant": "thumbnail"},
        name="document-thumbnail",
    ),
    path(
        "<int:pk>/site-visits/<int:visit_id>/photos/",
        document_views.site_visit_photos,
        name="site-visit-photos",
    ),
    path("deviations/", deviation_views.deviation_log, name="deviations"),
    path("deviations/review/", deviation_views.deviation_review_many, name="deviations-review"),
    path("deviations/export.csv", deviation_views.deviation_export_csv, name="deviations-export"),
    path(
        "deviations/export.xlsx",
        deviation_views.deviation_export_xlsx,
        name="deviations-export-xlsx",
    ),
    path("deviations/<int:pk>/", deviation_views.deviation_detail, name="deviation"),
    path("reference-changes/", oversight_views.reference_changes, name="reference-changes"),
    path("overview/", oversight_views.branch_overview, name="overview"),
    path("core-banking/", feed_views.feed_upload, name="feed-upload"),
    path("core-banking/<int:pk>/", feed_views.feed_report, name="feed-report"),
]
