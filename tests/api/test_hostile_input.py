"""A hostile-input corpus against every write endpoint of the API: never a 5xx, every 4xx in the
usual error body, and nothing written on a 4xx (a refusal of the rules writes its deviation).

The endpoints come from the OpenAPI schema drf-spectacular generates, so a new endpoint is sent
the corpus without a line here; ``{name}`` expands to every action and transition of the process.
Each is sent the body-level cases (deep nesting, odd encodings, oversized, not an object…), the
field-level cases (every field of the body, by its type in the schema or the action's form: null
bytes, huge and negative ids, ``NaN``, dates at the calendar's edges, SQL and HTML in free text…)
and the path-level cases, by the person who may write there, to a loan in a stage that allows it,
so values that pass validation go on through the checks and the services.

A test per case sends it to every endpoint and reports each that answered it wrongly. The world
(a loan in each stage with its records, the staff, a deviation, a notification) is built once for
the module in a transaction rolled back at its end; each request runs in a savepoint of its own.
"""

from __future__ import annotations

import hashlib
import json
import re
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import TestCase, override_settings
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from loans.action_forms import TARGETS, form_for
from loans.choices import InspectionKind, InspectionMode
from loans.journeys import Cast, act, advance, prepare_to_leave
from loans.models import Loan, User
from loans.records import BY_PATH
from loans.roles import Agent, Role
from loans.states import LoanState
from loans.validators import resident_id_check_character
from tests import factories
from tests.api.test_api import api
from workflow.engine import TransitionRefused, perform_transition
from workflow.models import ChainSeal, Channel, Deviation, Notification
from workflow.registry import process_for

# --- the endpoints, from the schema ---------------------------------------------------------------

WRITE_METHODS = ("post", "put", "patch", "delete")
_SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
_DEFINITION = process_for(Loan()).definition


@dataclass(frozen=True)
class Endpoint:
    method: str
    template: str  # the schema's path
    name: str = ""  # the action or transition of a ``{name}`` path

    @property
    def operation(self) -> dict[str, Any]:
        return _SCHEMA["paths"][self.template][self.method.lower()]  # type: ignore[no-any-return]

    def __str__(self) -> str:
        return f"{self.method} {self.template.replace('{name}', self.name)}"


def _names(template: str) -> list[str]:
    if "/actions/" in template:  # not the system's own steps: no person may take them at all
        return sorted(a.name for a in _DEFINITION.actions if a.roles != {Agent.SYSTEM})
    if "/transitions/" in template:
        return sorted(_DEFINITION.names())
    raise AssertionError(f"Which names does {template} take?")


OPERATIONS = [
    (method.upper(), template)
    for template, operations in _SCHEMA["paths"].items()
    for method in operations
    if method in WRITE_METHODS
]
# Every action and every transition: the field-level cases reach each one's own form and checks.
ENDPOINTS = [
    Endpoint(method, template, name)
    for method, template in OPERATIONS
    for name in (_names(template) if "{name}" in template else [""])
]
# One per operation: cases the API answers before a view reads any field.
OPERATION_ENDPOINTS = [
    Endpoint(method, template, _names(template)[0] if "{name}" in template else "")
    for method, template in OPERATIONS
]


def test_the_corpus_reaches_every_write_endpoint_of_the_schema():
    assert len(OPERATIONS) >= 19
    assert ("POST", "/api/v1/loans/{id}/interviews/") in OPERATIONS
    assert {e.name for e in ENDPOINTS} >= {"withdraw", "approve", "site_visit_correct"}


# --- the world --------------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # text, integer, id, decimal, date, datetime, boolean, choice, list, file
    base: Any  # a value the endpoint accepts (None: left out)


@dataclass
class Target:
    user: User
    path: str
    fields: list[Field]

    def body(self, **values: Any) -> dict[str, Any]:
        base = {f.name: f.base for f in self.fields if f.base is not None}
        return {**base, **values}


@dataclass
class World:
    staff: list[User]  # in the order a role is looked for: the cast, compliance, the head
    loans: list[Loan]  # along the process: the first in a stage is the one written to
    borrower_id: int
    deviation_id: int
    notification: Notification
    product_code: str
    now: str = field(default_factory=lambda: timezone.localtime().isoformat(timespec="seconds"))
    state: dict[str, str] = field(default_factory=dict)  # database_state() once built
    clients: dict[int, APIClient] = field(default_factory=dict)
    targets: dict[Endpoint, Target] = field(default_factory=dict)

    def client(self, user: User) -> APIClient:
        if user.pk not in self.clients:
            self.clients[user.pk] = api(user)  # its token made now, not by a request
        return self.clients[user.pk]

    def target(self, endpoint: Endpoint) -> Target:
        """Who writes to ``endpoint``, where, and what its body holds (found once)."""
        if endpoint not in self.targets:
            self.targets[endpoint] = self._target(endpoint)
        return self.targets[endpoint]

    def person(self, roles: frozenset[str]) -> User:
        """The first of the staff who holds one of ``roles`` (the branch head last)."""
        return next(u for u in self.staff if u.roles & roles)

    def loan(self, states: frozenset[str], has: Callable[[Loan], Any] | None = None) -> Loan:
        """The first loan in one of ``states`` (holding a record ``has`` finds, if given)."""
        for loan in self.loans:
            if loan.state in states and (has is None or has(loan).exists()):
                return loan
        return next((loan for loan in self.loans if loan.state in states), self.loans[0])

    def _target(self, endpoint: Endpoint) -> Target:
        template = endpoint.template
        if "/actions/" in template:
            return self._action(endpoint.name)
        if "/transitions/" in template:
            return self._transition(endpoint)
        if template == "/api/v1/loans/{id}/contract/":
            return self._in_file("contract_record", endpoint)
        if template == "/api/v1/loans/{id}/":
            return self._in_file("application_edit", endpoint)
        if template == "/api/v1/loans/{id}/reveal/":
            return self._in_file("personal_data_reveal", endpoint)
        if template == "/api/v1/loans/{id}/comments/":
            return self._in_file("comment_post", endpoint)
        if "{condition_id}" in template:
            return self._in_file("condition_fulfil", endpoint, TARGETS["condition_fulfil"][0])
        if template.startswith("/api/v1/loans/{id}/"):
            return self._in_file(BY_PATH[template.split("/")[5]].add, endpoint)
        if template.startswith("/api/v1/deviations/{id}/"):
            path = template.replace("{id}", str(self.deviation_id))
            compliance = self.person(frozenset({Role.COMPLIANCE_OFFICER}))
            return Target(compliance, path, self._fields(endpoint))
        if template.startswith("/api/v1/notifications/{id}/"):
            path = template.replace("{id}", str(self.notification.pk))
            return Target(self.notification.recipient, path, [])
        # A new endpoint: the account manager, the first loan for any id.
        path = template.replace("{id}", str(self.loans[0].pk))
        return Target(self.person(frozenset({Role.ACCOUNT_MANAGER})), path, self._fields(endpoint))

    def _in_file(
        self, action_name: str, endpoint: Endpoint, records: Callable[[Loan], Any] | None = None
    ) -> Target:
        """An endpoint that performs ``action_name``: by its role, on a loan in its stages (and
        on one of the loan's ``records``, for a path that names one)."""
        declared = _DEFINITION.action(action_name)
        assert declared is not None
        loan = self.loan(declared.states, records)
        path = endpoint.template.replace("{id}", str(loan.pk))
        if records is not None:
            path = re.sub(r"\{\w+\}", str(records(loan).first().pk), path)
        return Target(self.person(declared.roles), path, self._fields(endpoint, loan))

    def _transition(self, endpoint: Endpoint) -> Target:
        specs = [t for t in _DEFINITION.transitions if t.name == endpoint.name]
        spec = next(
            (t for t in specs if any(loan.state == t.source for loan in self.loans)), specs[0]
        )
        loan = self.loan(frozenset({spec.source}))
        roles = spec.step.roles if spec.step else frozenset({Role.ACCOUNT_MANAGER})
        path = endpoint.template.replace("{id}", str(loan.pk)).replace("{name}", endpoint.name)
        return Target(self.person(roles), path, self._fields(endpoint))

    def _action(self, name: str) -> Target:
        declared = _DEFINITION.action(name)
        assert declared is not None
        choices = TARGETS[name][0] if name in TARGETS else None
        loan = self.loan(declared.states, choices)
        user = self.person(declared.roles)
        record = choices(loan).first() if choices else None
        if name.endswith("_correct"):
            assert record is not None, f"Give the world a record for {name} to correct."
        fields = [Field("record", "id", record.pk)] if record is not None else []
        form = form_for(name, loan, user, record, None, None)
        if form is not None:  # the reveal has its own endpoint and no form
            fields += [
                _form_field(n, f, self) for n, f in form.fields.items() if n != "idempotency_key"
            ]
        return Target(user, f"/api/v1/loans/{loan.pk}/actions/{name}/", fields)

    def _fields(self, endpoint: Endpoint, loan: Loan | None = None) -> list[Field]:
        content = endpoint.operation.get("requestBody", {}).get("content", {})
        schema = _resolve(content.get("application/json", {}).get("schema", {}))
        return [
            _schema_field(name, _resolve(prop), self, loan)
            for name, prop in schema.get("properties", {}).items()
            if not prop.get("readOnly")
        ]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = _SCHEMA["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema


def _enum(schema: dict[str, Any]) -> list[Any]:
    if "enum" in schema:
        return [v for v in schema["enum"] if v not in ("", None)]
    for part in schema.get("oneOf", []) + schema.get("allOf", []):
        values = _enum(_resolve(part))
        if values:
            return values
    return []


# A resident ID number no borrower of the world has (theirs are born on 1985-06-15).
A_NEW_BORROWERS_ID = "11010519900307123" + resident_id_check_character("11010519900307123")


def _ids(world: World, loan: Loan | None) -> dict[str, Any]:
    """Values a person would pick for the fields that name something."""
    visit = loan.site_visits.first() if loan is not None else None
    return {
        "borrower": world.borrower_id,
        "co_investigator": world.staff[1].pk,
        "witness": world.staff[0].pk,
        "site_visit": visit.pk if visit else None,
        "product": world.product_code,
        "id_number": A_NEW_BORROWERS_ID,
    }


def _schema_field(name: str, schema: dict[str, Any], world: World, loan: Loan | None) -> Field:
    known = _ids(world, loan)
    kind, base = {
        "date-time": ("datetime", world.now),
        "date": ("date", world.now[:10]),
        "decimal": ("decimal", "1000.00"),
        "binary": ("file", None),
    }.get(schema.get("format", ""), ("text", "Checked in person."))
    if _enum(schema):
        kind, base = "choice", _enum(schema)[0]
    elif schema.get("type") == "integer":
        kind, base = ("integer", 1) if "minimum" in schema else ("id", None)
    elif schema.get("type") == "boolean":
        kind, base = "boolean", True
    elif schema.get("type") == "array":
        kind, base = "list", ["The guarantor signs in person."]
    return Field(name, kind, known.get(name, base))


def _form_field(name: str, form_field: forms.Field, world: World) -> Field:
    if isinstance(form_field, forms.ModelChoiceField):
        first = form_field.queryset.first()  # type: ignore[union-attr]
        return Field(name, "id", first.pk if first else None)
    if isinstance(form_field, forms.ChoiceField):
        values = [key for key, _label in form_field.choices if key not in ("", None)]
        return Field(name, "choice", values[0] if values else None)
    for form_class, kind, base in [
        (forms.DateTimeField, "datetime", world.now),
        (forms.DateField, "date", world.now[:10]),
        (forms.DecimalField, "decimal", "1000.00"),
        (forms.IntegerField, "integer", 1),
        (forms.BooleanField, "boolean", True),
        (forms.FileField, "file", None),
    ]:
        if isinstance(form_field, form_class):
            return Field(name, kind, base)
    return Field(name, "text", "Checked in person.")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        # As TestCase.setUpTestData: one transaction for the module, rolled back at its end.
        atomics = TestCase._enter_atomics()
        try:
            yield _build_world()
        finally:
            TestCase._rollback_atomics(atomics)


def _build_world() -> World:
    branch = factories.BranchFactory(code="B01", name="County Sub-branch")
    cast = Cast(
        manager=factories.staff(Role.ACCOUNT_MANAGER, branch=branch, username="manager1"),
        co_investigator=factories.staff(Role.ACCOUNT_MANAGER, branch=branch, username="manager2"),
        reviewer=factories.staff(Role.REVIEWER, branch=branch, username="reviewer1"),
        approver=factories.staff(
            Role.APPROVER, branch=branch, username="approver3", authority_level=3
        ),
        officer=factories.staff(Role.DISBURSEMENT_OFFICER, branch=branch, username="officer1"),
    )
    compliance = factories.staff(Role.COMPLIANCE_OFFICER, branch=branch, username="compliance1")
    head = factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")
    product = factories.LoanProductFactory()

    def loan_in(state: LoanState, *, prepared: bool = False) -> Loan:
        loan = advance(
            factories.LoanFactory(account_manager=cast.manager, product=product), state, cast
        )
        return prepare_to_leave(loan, cast) if prepared else loan

    intake = loan_in(LoanState.INTAKE, prepared=True)
    act(intake, "delegate_assign", head, delegate=cast.co_investigator)
    post_loan = loan_in(LoanState.POST_LOAN)
    act(
        post_loan,
        "inspection_record",
        cast.manager,
        kind=InspectionKind.FIRST,
        mode=InspectionMode.ON_SITE,
        inspected_at=timezone.now(),
        findings="Stock bought as stated.",
        funds_used_as_stated=True,
    )
    act(
        post_loan, "repayment_record", cast.officer, principal=Decimal(1000), paid_at=timezone.now()
    )
    site_visit = loan_in(LoanState.SITE_VISIT, prepared=True)
    act(
        site_visit,
        "collateral_valuation_record",
        cast.manager,
        description="Shop premises",
        value=Decimal(160_000),
        appraiser="County Appraisal Co.",
        valued_at=timezone.localdate(),
    )
    act(
        site_visit,
        "guarantor_record",
        cast.manager,
        kind="person",
        name="Zhou Jianguo",
        id_number="11010519491231002X",
        amount=Decimal(80_000),
        signed_on=timezone.localdate(),
    )
    loans = [
        intake,
        site_visit,
        loan_in(LoanState.REVIEW, prepared=True),
        loan_in(LoanState.APPROVAL),
        loan_in(LoanState.DISBURSEMENT),  # its condition still open
        loan_in(LoanState.DISBURSEMENT, prepared=True),  # its contract and drawdown on file
        post_loan,
    ]
    with pytest.raises(TransitionRefused) as refused:  # a deviation for compliance to review
        perform_transition(intake, "approve", actor=cast.reviewer, channel=Channel.SYSTEM)
    deviation_id = refused.value.deviation.pk
    notification = Notification.objects.create(
        recipient=cast.manager,
        kind=Notification.Kind.values[0],
        content_type=ContentType.objects.get_for_model(Loan),
        object_id=intake.pk,
        subject="A reminder",
        body="Due tomorrow.",
        created_at=timezone.now(),
    )
    world = World(
        staff=[
            cast.manager,
            cast.co_investigator,
            cast.reviewer,
            cast.approver,
            cast.officer,
            compliance,
            head,
        ],
        loans=[Loan.objects.get(pk=loan.pk) for loan in loans],
        borrower_id=intake.borrower_id,
        deviation_id=deviation_id,
        notification=notification,
        product_code=product.code,
    )
    for user in world.staff:
        world.client(user)
    world.state = database_state()
    return world


# --- sending a case to every endpoint --------------------------------------------------------


def _tables() -> list[str]:
    models = apps.get_models(include_auto_created=True)
    return sorted({m._meta.db_table for m in models if m._meta.managed and not m._meta.proxy})


# Columns any authenticated request writes, refused or not: a token's last use.
BOOKKEEPING = {("accounts_apitoken", "last_used_at")}


def _columns(table: str) -> str:
    with connection.cursor() as cursor:
        described = connection.introspection.get_table_description(cursor, table)
    quote = connection.ops.quote_name
    return ", ".join(quote(c.name) for c in described if (table, c.name) not in BOOKKEEPING)


def database_state() -> dict[str, str]:
    """A digest of every table's rows: an insert, an update or a delete changes it."""
    state = {}
    with connection.cursor() as cursor:
        for table in _tables():
            columns = _columns(table) if any(t == table for t, _c in BOOKKEEPING) else "*"
            name = connection.ops.quote_name(table)
            cursor.execute(f"SELECT {columns} FROM {name} ORDER BY 1")  # noqa: S608
            state[table] = hashlib.sha256(repr(cursor.fetchall()).encode()).hexdigest()
    return state


def files() -> set[Path]:
    return {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}


@dataclass(frozen=True)
class Request:
    body: bytes | str = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    path: str = ""  # in place of the target's path
    method: str = ""  # in place of the endpoint's method
    changes_a_field: bool = True  # False: a field case found no field of its kinds here

    def send(self, client: APIClient, endpoint: Endpoint, target: Target) -> Any:
        extra = {_environ_name(k): v for k, v in self.headers.items()}
        return client.generic(
            self.method or endpoint.method,
            self.path or target.path,
            self.body,
            content_type=self.content_type,
            **extra,
        )


def _environ_name(header: str) -> str:
    name = header.upper().replace("-", "_")
    return name if name in ("CONTENT_LENGTH", "CONTENT_TYPE") else f"HTTP_{name}"


@dataclass(frozen=True)
class Case:
    make: Callable[[Target], Request]
    # Which endpoints must answer it with a 4xx: "always", those that read a body, or none
    # (a valid body under an odd header, or text a person may well type).
    refused: str = "body"


@contextmanager
def rolled_back() -> Iterator[None]:
    """A savepoint per request, as TestCase gives each test (durable steps may run inside)."""
    atomics = TestCase._enter_atomics()
    try:
        yield
    finally:
        TestCase._rollback_atomics(atomics)


def answer_every(world: World, endpoints: list[Endpoint], case: Case) -> None:
    """Send ``case`` to each endpoint; fail with every endpoint that answered it wrongly."""
    assert database_state() == world.state  # each request starts from the world as built
    problems = []
    for endpoint in endpoints:
        target = world.target(endpoint)
        request = case.make(target)
        if not request.changes_a_field:
            continue  # nothing of the case's kinds here: it would send the valid body again
        reads_body = "requestBody" in endpoint.operation
        must_refuse = case.refused == "always" or (case.refused == "body" and reads_body)
        with rolled_back():
            try:
                client = world.client(target.user)
                problem = _problem(world, client, endpoint, target, request, must_refuse)
            except Exception as error:  # a 5xx the test client raised
                problem = _raised(error)
        if problem:
            problems.append(f"{endpoint}: {problem}")
    assert not problems, "\n".join(problems)


def _raised(error: Exception) -> str:
    """The error and the last line of the project's own code it went through."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "site-packages" not in f.filename] or frames
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}"
    return f"raised {type(error).__name__}: {str(error)[:200]} (at {where})"


def _problem(
    world: World,
    client: APIClient,
    endpoint: Endpoint,
    target: Target,
    request: Request,
    must_refuse: bool,
) -> str | None:
    """What is wrong with how ``endpoint`` answered ``request`` (None: nothing)."""
    files_before = files()
    response = request.send(client, endpoint, target)
    status, content = response.status_code, response.content[:300]
    if status >= 500:
        return f"{status} {content!r}"
    if status < 400:
        return f"accepted: {status} {content!r}" if must_refuse else None
    if response["Content-Type"] != "application/json":
        return f"{status} is not JSON: {response['Content-Type']} {content!r}"
    body = response.json()
    if not (
        isinstance(body, dict)
        and isinstance(body.get("code"), str)
        and isinstance(body.get("detail"), str)
        and isinstance(body.get("errors"), list)
    ):
        return f"{status} is not the error body: {content!r}"
    changed = {t for t, digest in database_state().items() if world.state[t] != digest}
    if "deviation_id" in body:  # a refusal of the rules is recorded (and its chain sealed)
        changed -= {Deviation._meta.db_table, ChainSeal._meta.db_table}
    if changed:
        return f"{status} {body['code']} wrote to {sorted(changed)}"
    if files() != files_before:
        return f"{status} {body['code']} wrote files"
    return None


# --- body-level cases: answered before a view reads a field -------------------------------------


def _raw(body: bytes | str, content_type: str = "application/json", **case: Any) -> Case:
    return Case(lambda target: Request(body, content_type), **case)


def _json(value: Any) -> Case:
    return _raw(json.dumps(value))


def _valid_body_with(refused: str = "no", **headers: str) -> Case:
    return Case(lambda target: Request(json.dumps(target.body()), headers=headers), refused)


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def _multipart(count: int, *, files: bool) -> Case:
    filename = '; filename="p.jpg"\r\nContent-Type: image/jpeg' if files else ""
    parts = "".join(
        f'--x\r\nContent-Disposition: form-data; name="f{i}"{filename}\r\n\r\nv\r\n'
        for i in range(count)
    )
    return _raw(parts + "--x--\r\n", "multipart/form-data; boundary=x")


BODY_CASES: dict[str, Case] = {
    "deep-array": _raw("[" * 1000 + "]" * 1000),
    "deep-object": _raw('{"a":' * 1000 + "1" + "}" * 1000),
    "deep-in-a-field": Case(lambda t: Request(json.dumps(t.body(x=_nested(100))))),
    "invalid-utf8": _raw(b'{"name": "\xff\xfe\xc3"}'),
    "utf16-without-charset": _raw('{"name": "x"}'.encode("utf-16")),
    "compressing-charset": _raw("{}", "application/json; charset=bz2_codec"),
    "unknown-charset": _raw("{}", "application/json; charset=x-no-such-charset", refused="no"),
    "truncated": _raw('{"name": "x'),
    "empty": _raw("", refused="no"),
    "null": _json(None),
    "an-array": Case(lambda t: Request(json.dumps([t.body()]))),
    "a-string": _json("{}"),
    "a-number": _json(1),
    "duplicate-keys": _raw('{"reason": "a", "reason": "b", "note": "x", "note": "y"}'),
    "nan-literal": _raw('{"amount": NaN, "value": Infinity}'),
    "overflowing-number": _raw('{"amount": 1e400, "term_months": -1e400}'),
    "five-thousand-digits": _raw('{"amount": ' + "9" * 5000 + "}"),
    "text-plain": _raw("{}", "text/plain"),
    "form-urlencoded": _raw("name=x&reason=y", "application/x-www-form-urlencoded"),
    "xml": _raw("<loan/>", "application/xml"),
    "multipart-without-boundary": _raw("name=x", "multipart/form-data"),
    "multipart-broken": _raw("--x\r\nnot a part", "multipart/form-data; boundary=x", refused="no"),
    "multipart-too-many-fields": _multipart(1001, files=False),
    "multipart-too-many-files": _multipart(101, files=True),
    "above-the-data-limit": _raw('{"name": "' + "x" * (3 * 1024 * 1024) + '"}'),
    "declared-above-the-request-limit": Case(
        lambda t: Request(b"{}", headers={"Content-Length": str(64 * 1024 * 1024)}), "always"
    ),
    "declared-length-not-a-number": Case(
        lambda t: Request(b"{}", headers={"Content-Length": "ten"}), "no"
    ),
    "declared-length-negative": Case(
        lambda t: Request(b"{}", headers={"Content-Length": "-1"}), "no"
    ),
    "accept-html-only": _valid_body_with("always", Accept="text/html"),
    "unknown-host": _valid_body_with("always", Host="evil.example"),
    "idempotency-key-too-long": _valid_body_with(Idempotency_Key="k" * 10_000),
    "idempotency-key-null-byte": _valid_body_with(Idempotency_Key="key\x00"),
    "idempotency-key-not-ascii": _valid_body_with(Idempotency_Key="钥匙😀"),
}


@pytest.mark.parametrize("case", BODY_CASES)
def test_a_body_the_api_cannot_take_is_answered_with_a_4xx(db, world, case):
    answer_every(world, OPERATION_ENDPOINTS, BODY_CASES[case])


# --- field-level cases: every field of the body, by its type ------------------------------------

Values = dict[str, Any]  # a hostile value by kind of field; other kinds keep their base value
KINDS = ("text", "integer", "id", "decimal", "date", "datetime", "boolean", "choice", "list")

INVALID: dict[str, Values] = {
    "null-bytes": {"text": "a\x00b", "list": ["a\x00b"], "choice": "\x00", "id": "1\x00"},
    "lone-surrogates": {"text": "\ud800", "list": ["\udfff"], "choice": "\ud800"},
    "huge-numbers": {"integer": 10**30, "id": 10**30, "decimal": 10**30},
    "beyond-bigint": {"integer": 2**63, "id": 2**63, "decimal": "9223372036854775808.00"},
    "negative": {"integer": -1, "id": -1, "decimal": "-1.00"},
    "fractions": {"integer": 1.5, "id": 1.5, "decimal": "0.0000000001"},
    "nan": {"decimal": "NaN", "integer": "NaN", "id": "NaN"},
    "infinity": {"decimal": "Infinity", "integer": "-Infinity", "id": "Infinity"},
    "exponents": {"decimal": "1e999999", "integer": "1e999999", "id": "1e5"},
    "too-many-digits": {"decimal": "99999999999999999999.99"},
    "year-1": {"date": "0001-01-01", "datetime": "0001-01-01T00:00:00+14:00"},
    "year-9999": {"date": "9999-12-31", "datetime": "9999-12-31T23:59:59-12:00"},
    "no-such-day": {"date": "2026-02-30", "datetime": "2026-02-30T25:61:00"},
    "unknown-choices": {"choice": "__proto__", "boolean": "maybe"},
    "objects": {kind: {"$gt": ""} for kind in KINDS},
    "arrays": {kind: [1, 2] for kind in KINDS[:-1]},
    "sql-in-numbers": {"integer": "1 OR 1=1", "id": "1; DROP TABLE loans_loan", "decimal": "1'--"},
}
# Values an endpoint may take: blanks (an application is completed later), free text stored
# verbatim (and escaped on pages).
VALID: dict[str, Values] = {
    "nulls": dict.fromkeys(KINDS, None),
    "empty-strings": dict.fromkeys(KINDS, ""),
    "sql": {"text": "'; DROP TABLE loans_loan; -- \" OR 1=1 /*", "list": ["' OR '1'='1"]},
    "html": {"text": "<script>alert(1)</script><img src=x onerror=alert(1)>"},
    "emoji-and-cjk": {"text": "张三 😀 𠜎 Ärzte الكتب", "list": ["借款人本人签字 ✍️"]},
    "long-text": {"text": "长" * 20_000},
}


def _mutated(values: Values, refused: str) -> Case:
    def make(target: Target) -> Request:
        changed = {f.name: values[f.kind] for f in target.fields if f.kind in values}
        return Request(json.dumps(target.body(**changed)), changes_a_field=bool(changed))

    return Case(make, refused)


def _unknown_fields(target: Target) -> Request:
    extra = {"__proto__": {"admin": True}, "id": 1, "loan": 10**20, "state": "closed"}
    return Request(json.dumps(target.body(**extra, branch="B02", is_superuser=True)))


FIELD_CASES: dict[str, Case] = {
    **{name: _mutated(values, "body") for name, values in INVALID.items()},
    **{name: _mutated(values, "no") for name, values in VALID.items()},
    "unknown-fields": Case(_unknown_fields, "no"),
}


@pytest.mark.parametrize("case", FIELD_CASES)
def test_hostile_values_in_every_field_are_answered(db, world, case):
    answer_every(world, ENDPOINTS, FIELD_CASES[case])


# --- path-level cases -----------------------------------------------------------------------------


def _path(change: Callable[[str], str]) -> Case:
    return Case(lambda t: Request(json.dumps(t.body()), path=change(t.path)), "always")


def _id(replacement: str) -> Callable[[str], str]:
    """The path with its first id replaced (or, without one, given one)."""

    def change(path: str) -> str:
        parts = path.split("/")
        ids = [i for i, part in enumerate(parts) if part.isdigit()]
        if not ids:
            return f"{path}{replacement}/"
        parts[ids[0]] = replacement
        return "/".join(parts)

    return change


PATH_CASES: dict[str, Case] = {
    "negative-id": _path(_id("-1")),
    "id-beyond-bigint": _path(_id("99999999999999999999999999")),
    "encoded-dot-dot": _path(lambda p: p.replace("/api/v1/", "/api/v1/%2e%2e/%2e%2e/")),
    "encoded-slash-dot-dot": _path(lambda p: p + "..%2f..%2f..%2fadmin%2f"),
    "null-byte-in-the-name": _path(lambda p: p.rstrip("/").rsplit("/", 1)[0] + "/%00/"),
    "unknown-name": _path(lambda p: p.rstrip("/").rsplit("/", 1)[0] + "/__proto__/"),
    "format-override": _path(lambda p: p + "?format=xml"),
    "another-method": Case(lambda t: Request(json.dumps(t.body()), method="DELETE"), "always"),
}


@pytest.mark.parametrize("case", PATH_CASES)
def test_an_odd_path_or_method_is_answered_with_a_4xx(db, world, case):
    answer_every(world, OPERATION_ENDPOINTS, PATH_CASES[case])


# --- free text: kept as typed, shown as text ------------------------------------------------------

FREE_TEXT = "'; DROP TABLE loans_loan; -- <script>alert(1)</script> 张三 😀 𠜎"


def test_free_text_is_stored_verbatim_and_escaped_on_pages(db, world, client):
    manager = world.person(frozenset({Role.ACCOUNT_MANAGER}))
    writer = world.client(manager)
    borrower = writer.post(
        "/api/v1/borrowers/",
        {"kind": "individual", "name": "<b>王五</b> 😀", "id_number": A_NEW_BORROWERS_ID},
        format="json",
    ).json()
    created = writer.post(
        "/api/v1/loans/",
        {"borrower": borrower["id"], "product": world.product_code, "purpose": FREE_TEXT},
        format="json",
    )
    assert created.status_code == 201, created.content
    loan = Loan.objects.get(pk=created.json()["id"])

    assert (loan.purpose, loan.borrower.name) == (FREE_TEXT, "<b>王五</b> 😀")
    assert writer.get(f"/api/v1/loans/{loan.pk}/").json()["purpose"] == FREE_TEXT
    client.force_login(manager)
    detail, mine = (
        client.get(page).content.decode() for page in (f"/loans/{loan.pk}/", "/loans/mine/")
    )
    for html in (detail, mine):
        assert "<script>alert" not in html
        assert "<b>王五</b>" not in html
        assert "&lt;b&gt;王五&lt;/b&gt; 😀" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 张三 😀 𠜎" in detail
