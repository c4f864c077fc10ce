from rest_framework.pagination import CursorPagination, PageNumberPagination


class PagePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class AuditCursorPagination(CursorPagination):
    page_size = 50
    ordering = "seq"


class DeviationCursorPagination(CursorPagination):
    page_size = 50
    ordering = ("-created_at", "-id")
