"""/metrics: counts transitions, refusals and deviations; reports what waits; answers only those
it should."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from loans.journeys import prepare_to_leave
from workflow.engine import TransitionRefused, perform_transition
from workflow.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _delta(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_a_transition_and_a_refusal_are_counted_by_name_and_kind(
    client, loan, cast, django_capture_on_commit_callbacks
):
    before = _scrape(client)

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(TransitionRefused):
            perform_transition(loan, "start_site_visit", actor=cast.manager)
        loan = prepare_to_leave(loan, cast)
        perform_transition(loan, "start_site_visit", actor=cast.manager)
    after = _scrape(client)

    assert (
        _delta(
            before,
            after,
            "loanflow_transitions_total",
            transition="start_site_visit",
            source="intake",
            target="site_visit",
        )
        == 1
    )
    refused = {"step": "start_site_visit", "kind": "checks_failed"}
    assert _delta(before, after, "loanflow_refusals_total", **refused) == 1
    assert (
        _delta(
            before,
            after,
            "loanflow_failed_checks_total",
            step="start_site_visit",
            check="interview_recorded",
            check_kind="requirement",
        )
        == 1
    )
    deviation = {"kind": "checks_failed", "severity": "high"}
    assert _delta(before, after, "loanflow_deviations_total", **deviation) == 1


def test_a_refusal_for_the_wrong_role_is_counted_as_such(
    client, loan, reviewer, django_capture_on_commit_callbacks
):
    before = _scrape(client)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(TransitionRefused):
        perform_transition(loan, "start_site_visit", actor=reviewer)

    after = _scrape(client)
    refused = {"step": "start_site_visit", "kind": "wrong_role"}
    assert _delta(before, after, "loanflow_refusals_total", **refused) == 1


def test_a_rolled_back_step_counts_nothing(client, loan, cast):
    before = _scrape(client)

    loan = prepare_to_leave(loan, cast)
    perform_transition(loan, "start_site_visit", actor=cast.manager)  # never committed here

    after = _scrape(client)
    key = {"transition": "start_site_visit", "source": "intake", "target": "site_visit"}
    assert _delta(before, after, "loanflow_transitions_total", **key) == 0


def test_the_outbox_backlog_is_read_at_each_scrape(client):
    assert _scrape(client)[("loanflow_outbox_backlog", ())] == 0

    OutboxMessage.objects.create(task="workflow.tasks.email_notification", args=[1])

    samples = _scrape(client)
    assert samples[("loanflow_outbox_backlog", ())] == 1
    assert samples[("loanflow_outbox_oldest_age_seconds", ())] >= 0
    assert ("loanflow_overdue_timers", ()) in samples


def test_metrics_answer_a_listed_address_asked_directly(client, settings):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403


def test_metrics_refuse_a_request_that_came_through_the_proxy(client):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert response.status_code == 403


def test_metrics_answer_the_token_from_anywhere_and_refuse_a_wrong_one(client, settings):
    settings.METRICS_TOKEN = "scrape-secret-4d1f9a"
    far = {"REMOTE_ADDR": "10.1.2.3", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}

    good = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-4d1f9a", **far)
    bad = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess", **far)

    assert good.status_code == 200
    assert bad.status_code == 403


def test_metrics_answer_the_networks_listed(client, settings):
    import ipaddress

    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.1.0.0/16")]

    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
