from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecoveryConfig(AppConfig):
    """Collections (催收): the second process on the engine, declared in recovery/workflow.py."""

    name = "recovery"
    verbose_name = _("Collections")

    def ready(self) -> None:
        from recovery.models import CollectionCase
        from recovery.workflow import CollectionProcess
        from workflow.registry import register

        register(CollectionProcess(CollectionCase))
