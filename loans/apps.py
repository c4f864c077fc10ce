from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "loans"
    verbose_name = _("Loans")

    def ready(self) -> None:
        from loans.models import Loan
        from loans.workflow import LoanProcess
        from workflow.registry import register

        register(LoanProcess(Loan))
