from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = "Workflow"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from workflow import prepared, system_checks, tasks  # noqa: F401 - register checks and tasks

        # A prepared read holds the ids of content types among its parameters; a flush (as the
        # test suite's transactional tests do) recreates them with new ids.
        post_migrate.connect(prepared.forget_all, dispatch_uid="workflow.prepared")
