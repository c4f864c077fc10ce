from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "loans"
    verbose_name = _("Loans")

    def ready(self) -> None:
        from loans.models import Borrower, Loan
        from loans.personal_data import mask_facts
        from loans.workflow import LoanProcess
        from workflow.privacy import register_mask
        from workflow.registry import register

        register(LoanProcess(Loan), also=(Borrower,))
        register_mask(mask_facts)
