from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "loans"
    verbose_name = _("Loans")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from loans.models import Borrower, Loan
        from loans.personal_data import mask_facts
        from loans.roles import ensure_role_groups
        from loans.workflow import LoanProcess
        from workflow.privacy import register_mask
        from workflow.registry import register

        register(LoanProcess(Loan), also=(Borrower,))
        register_mask(mask_facts)
        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="loans.role_groups")
