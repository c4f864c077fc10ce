"""Every page a user reaches, per role: the walk of tests/browser/test_accessibility.py, which runs
axe-core on each page in both languages and on both screens.

To add a page, add a ``Visit`` to the role (or roles) whose navigation reaches it:

- ``Visit("app:url-name")`` for a page without arguments;
- ``Visit("loans:detail", "approval")`` for one about an object: each argument is either the name
  of an object of the scene (``SCENE_OBJECTS``, made by the ``scene`` fixture of
  test_accessibility.py; it becomes that object's primary key) or a literal URL argument
  (``Visit("loans:record-add", "review", "reviews")``: the loan in review, the "reviews" form);
- ``query="?stage=review"`` for a query string; ``expect="…"`` a CSS selector that must be on
  the page (so a page that answers with an error is not judged accessible by accident).

A page that needs an object the scene does not have yet: make it in the ``scene`` fixture, name it
in ``SCENE_OBJECTS`` and use the name here. The screenshots go to ``test-artifacts/`` as
``a11y-<role>-<language>-<screen>-<NN>-<url-name>.png``.
"""

from __future__ import annotations

from dataclasses import dataclass

# The objects the scene makes, by the name a Visit uses for them.
SCENE_OBJECTS = (
    # A loan in each stage (and one rejected); "post_loan" is also in collection.
    "intake",
    "site_visit",
    "review",
    "approval",
    "disbursement",
    "post_loan",
    "rejected",
    "case",  # the collection case of the "post_loan" loan
    "deviation",  # a refused attempt on the "intake" loan
    "feed",  # a core-banking import refused for an unknown reference
)


@dataclass(frozen=True)
class Visit:
    name: str
    args: tuple[str, ...] = ()
    query: str = ""
    expect: str = "main h1"

    def __init__(self, name: str, *args: str, query: str = "", expect: str = "main h1") -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "args", args)
        object.__setattr__(self, "query", query)
        object.__setattr__(self, "expect", expect)

    @property
    def label(self) -> str:
        return "-".join((self.name.replace(":", "-"), *self.args))


# Pages every signed-in member of staff reaches from the navigation. They differ from role to role
# only in the navigation, which each role's own pages already cover: one role walks them.
EVERYONE = (
    Visit("loans:list"),
    Visit("workflow:inbox"),
    Visit("loans:search", query="?q=Borrower"),
    Visit("accounts:security"),
    Visit("recovery:list"),
)

ROLE_PAGES: dict[str, tuple[Visit, ...]] = {
    # Signed out: the username is empty.
    "": (
        Visit("login", expect="main form"),
        Visit("password_reset", expect="main form"),
    ),
    "manager1": (
        Visit("loans:mine"),
        Visit("watch:list"),
        Visit("insight:scorecard"),
        Visit("loans:borrower-add", expect="main form"),
        Visit("loans:application-add", expect="main form"),
        Visit("loans:detail", "intake"),
        Visit("loans:record-add", "intake", "interviews", expect="main form"),
        Visit("loans:record-add", "intake", "credit-authorisations", expect="main form"),
        Visit("loans:action", "intake", "exception_request", query="?transition=start_site_visit"),
        Visit("loans:detail", "site_visit"),
        Visit("loans:record-add", "site_visit", "site-visits", expect="main form"),
        Visit("loans:record-add", "site_visit", "documents", expect="main form"),
        Visit("loans:detail", "post_loan"),
        Visit("loans:record-add", "post_loan", "inspections", expect="main form"),
        Visit("loans:loan_summary", "post_loan"),
        Visit("recovery:detail", "case"),
        *EVERYONE,
    ),
    "reviewer1": (
        Visit("loans:queue"),
        Visit("loans:detail", "review"),
        Visit("loans:record-add", "review", "credit-reports", expect="main form"),
        Visit("loans:record-add", "review", "reviews", expect="main form"),
        Visit("workflow:inbox"),
    ),
    "approver3": (
        Visit("loans:queue"),
        Visit("loans:detail", "approval"),
        Visit("loans:approval_memo", "disbursement"),
        Visit("loans:detail", "rejected"),
        Visit("recovery:detail", "case"),
    ),
    "officer1": (
        Visit("loans:queue"),
        Visit("loans:detail", "disbursement"),
        Visit("loans:action", "disbursement", "contract_record", expect="main form"),
        Visit("loans:record-add", "disbursement", "drawdowns", expect="main form"),
        Visit("loans:record-add", "post_loan", "repayments", expect="main form"),
        Visit("loans:feed-upload"),
        Visit("loans:feed-report", "feed"),
        Visit("loans:detail", "post_loan"),
    ),
    "compliance1": (
        Visit("loans:deviations"),
        Visit("loans:deviation", "deviation"),
        Visit("loans:reference-changes"),
        Visit("insight:portfolio"),
        Visit("insight:portfolio-loans", query="?dimension=industry&key=F"),
        Visit("insight:process"),
        Visit("loans:detail", "post_loan"),
        Visit("loans:list"),
    ),
    "head1": (
        Visit("loans:overview"),
        Visit("watch:list"),
        Visit("insight:portfolio"),
        Visit("insight:scorecard"),
        Visit("insight:process"),
        Visit("loans:deviations"),
        Visit("loans:reference-changes"),
        Visit("loans:detail", "approval"),
        Visit("loans:loan_summary", "approval"),
        Visit("recovery:detail", "case"),
    ),
    # The administrator's pages outside Django's admin site.
    "admin1": (
        Visit("accounts:mfa-enrol", expect="main form"),
        Visit("password_change", expect="main form"),
        Visit("accounts:security"),
    ),
}
