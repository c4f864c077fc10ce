"""The project's own app: connects the observers (metrics, the security event log)."""

from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "config"
    label = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from django.contrib.admin.models import LogEntry
        from django.contrib.auth import signals as auth
        from django.db.models.signals import post_save

        from config import metrics, security_log
        from workflow import signals

        signals.transition_performed.connect(metrics.count_transition, dispatch_uid="metrics")
        signals.deviation_recorded.connect(metrics.count_deviation, dispatch_uid="metrics")
        signals.deviation_recorded.connect(security_log.on_deviation, dispatch_uid="security")
        auth.user_logged_in.connect(security_log.on_login, dispatch_uid="security")
        auth.user_logged_out.connect(security_log.on_logout, dispatch_uid="security")
        auth.user_login_failed.connect(security_log.on_login_failed, dispatch_uid="security")
        post_save.connect(security_log.on_admin_change, sender=LogEntry, dispatch_uid="security")
