"""The workflow definition: the loan process is a sound graph, and broken graphs are caught."""

from __future__ import annotations

import pytest
from django.core.checks import Error

from loans.models import Loan
from loans.states import LoanState
from workflow.definition import ProcessDefinition, Step, TransitionSpec
from workflow.registry import Process, process_for, register, registered_processes
from workflow.system_checks import check_process_definitions


def spec(name: str, source: str, target: str, roles=("clerk",)) -> TransitionSpec:
    return TransitionSpec(name, source, target, Step(label=name, roles=frozenset(roles)))


def definition(*transitions: TransitionSpec, states=("new", "done"), terminal=("done",)):
    return ProcessDefinition(
        name="toy",
        states=tuple(states),
        initial="new",
        terminal=frozenset(terminal),
        transitions=tuple(transitions),
    )


def test_a_sound_definition_has_no_problems():
    assert definition(spec("finish", "new", "done")).problems() == []


def test_an_unreachable_state_is_a_problem():
    broken = definition(spec("finish", "new", "done"), states=("new", "done", "limbo"))

    assert "the state 'limbo' cannot be reached from 'new'" in broken.problems()


def test_a_terminal_state_with_an_exit_is_a_problem():
    broken = definition(spec("finish", "new", "done"), spec("reopen", "done", "new"))

    assert "the terminal state 'done' has exits: 'reopen'" in broken.problems()


def test_a_transition_that_no_role_may_perform_is_a_problem():
    broken = definition(spec("finish", "new", "done", roles=()))

    assert "'finish' from 'new' allows no role" in broken.problems()


def test_a_non_terminal_dead_end_is_a_problem():
    broken = definition(
        spec("finish", "new", "done"),
        spec("park", "new", "parked"),
        states=("new", "done", "parked"),
    )

    assert "the state 'parked' is a dead end but not declared terminal" in broken.problems()


def test_a_transition_declared_without_the_engine_is_a_problem():
    broken = definition(TransitionSpec("finish", "new", "done", step=None))

    assert "'finish' is not declared with workflow.definition.transition" in broken.problems()


def test_the_loan_process_definition_is_sound():
    loan_process = process_for(Loan)

    assert loan_process.definition.problems() == []
    assert set(loan_process.definition.states) == set(LoanState.values)


def test_the_loan_happy_path_transitions_are_declared_in_order():
    names = [t.name for t in process_for(Loan).definition.transitions]

    happy = ["start_site_visit", "submit_for_review", "submit_for_approval", "approve", "disburse"]
    assert [n for n in names if n in happy] == happy


def test_the_system_check_reports_a_broken_registered_process():
    class BrokenProcess(Process):
        name = "broken"
        initial = "new"
        terminal = frozenset({"done"})

    broken = BrokenProcess(Loan)
    broken.__dict__["definition"] = definition(
        spec("finish", "new", "done"), states=("new", "done", "limbo")
    )
    registered = registered_processes()
    register(broken)
    try:
        errors = check_process_definitions()
    finally:
        register(registered[0])

    assert (
        Error(
            "Workflow 'broken': the state 'limbo' cannot be reached from 'new'.",
            obj=Loan,
            id="workflow.E001",
        )
        in errors
    )
    assert process_for(Loan) is registered[0]


def test_the_system_check_passes_for_the_shipped_processes():
    assert check_process_definitions() == []


@pytest.mark.parametrize("state", [LoanState.CLOSED, LoanState.REJECTED, LoanState.WITHDRAWN])
def test_terminal_loan_states_have_no_exits(state):
    assert process_for(Loan).definition.from_state(state) == []
