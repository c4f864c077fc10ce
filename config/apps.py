"""The project's own app: connects the observers (metrics, the security event log)."""

from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "config"
    label = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from config import metrics
        from workflow import signals

        signals.transition_performed.connect(metrics.count_transition, dispatch_uid="metrics")
        signals.deviation_recorded.connect(metrics.count_deviation, dispatch_uid="metrics")
