from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightConfig(AppConfig):
    name = "insight"
    verbose_name = _("insight")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from insight.process_record import on_transition_performed
        from workflow import signals

        # Each stage a loan leaves becomes a stage visit, once the step is committed.
        signals.transition_performed.connect(
            on_transition_performed, dispatch_uid="insight.stage_visit"
        )
