from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = "Workflow"

    def ready(self) -> None:
        from workflow import system_checks, tasks  # noqa: F401 - register checks and tasks
