"""The accessibility check of the browser tests: axe-core (vendored from its npm package into
static/vendor/axe-core/ by scripts/vendor-assets, never included in a page) run in the page, with
every WCAG 2.x A and AA rule; a test fails on any violation.

The content security policy refuses an inline script, which is what ``add_script_tag(path=...)``
adds, so the file is added as a same-origin script whose request Playwright answers from the
vendored file: the policy stays on while axe runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe-core" / "axe.min.js"
# The path the page fetches axe from: answered by the test, never by the server.
AXE_PATH = "/__test__/axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.slice(0, 5).map((node) => node.target.join(" ")),
  }));
}"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The WCAG 2.x A/AA violations axe-core finds in the page as it is now."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
    page.route(f"{origin}{AXE_PATH}", lambda route: route.fulfill(path=AXE))
    page.add_script_tag(url=f"{origin}{AXE_PATH}")
    violations: list[dict[str, Any]] = page.evaluate(RUN_AXE, WCAG_TAGS)
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(v['targets'])}" for v in violations
    )


def assert_accessible(page: Page) -> None:
    """Fail with every rule id and the elements concerned when axe-core finds a violation."""
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url}:\n{describe(violations)}"
