"""PostgreSQL triggers that make the record append-only in the database itself.

The ORM refuses to change or delete audit events, deviations and their reviews
(:class:`workflow.models.AppendOnlyModel`), but raw SQL, a shell or another client would not ask
the ORM. These triggers refuse ``UPDATE``, ``DELETE`` and ``TRUNCATE`` for every role, the owner
included; ``session_replication_role = replica`` (superuser only) or ``ALTER TABLE … DISABLE
TRIGGER`` (the owner) are the only ways around them, which is why the application connects as a
role that owns nothing (deploy/postgres/application-role.sql, docs/security.md). Migrations
install them; SQLite keeps the ORM guard alone.
"""

from __future__ import annotations

from typing import Any

REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION loanflow_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'LoanFlow: % rows are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END $$
"""

# A policy version may be corrected or withdrawn until it takes effect; after that it is history.
POLICY_FUNCTION = """
CREATE OR REPLACE FUNCTION loanflow_refuse_policy_in_force() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.effective_from <= now() THEN
        RAISE EXCEPTION 'LoanFlow: policy version % has been in force: % refused',
            OLD.version, TG_OP USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$
"""

# A chain's seal moves forward only: a later head, or the same head sealed again (a new key).
SEAL_FUNCTION = """
CREATE OR REPLACE FUNCTION loanflow_seal_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND NEW.id = OLD.id
        AND NEW.chain = OLD.chain
        AND NEW.content_type_id = OLD.content_type_id
        AND NEW.object_id = OLD.object_id
        AND (NEW.last_seq > OLD.last_seq
             OR (NEW.last_seq = OLD.last_seq AND NEW.last_hash = OLD.last_hash)) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'LoanFlow: a chain seal only moves forward: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END $$
"""

FUNCTIONS = {
    "loanflow_refuse_change": REFUSE_FUNCTION,
    "loanflow_refuse_policy_in_force": POLICY_FUNCTION,
    "loanflow_seal_forward_only": SEAL_FUNCTION,
}


def guard_sql(table: str, row_function: str) -> list[str]:
    """A row trigger on UPDATE and DELETE running ``row_function``, and TRUNCATE refused."""
    return [
        f'DROP TRIGGER IF EXISTS loanflow_guard_rows ON "{table}"',
        (
            f'CREATE TRIGGER loanflow_guard_rows BEFORE UPDATE OR DELETE ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION {row_function}()"
        ),
        f'DROP TRIGGER IF EXISTS loanflow_refuse_truncate ON "{table}"',
        (
            f'CREATE TRIGGER loanflow_refuse_truncate BEFORE TRUNCATE ON "{table}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION loanflow_refuse_change()"
        ),
    ]


def unguard_sql(table: str) -> list[str]:
    return [
        f'DROP TRIGGER IF EXISTS loanflow_guard_rows ON "{table}"',
        f'DROP TRIGGER IF EXISTS loanflow_refuse_truncate ON "{table}"',
    ]


def install(schema_editor: Any, guards: dict[str, str]) -> None:
    """Install ``{table: row function}`` guards on PostgreSQL; nothing elsewhere."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for function in sorted(set(guards.values()) | {"loanflow_refuse_change"}):
        schema_editor.execute(FUNCTIONS[function], params=None)
    for table, function in guards.items():
        for statement in guard_sql(table, function):
            schema_editor.execute(statement, params=None)


def uninstall(schema_editor: Any, tables: list[str]) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in tables:
        for statement in unguard_sql(table):
            schema_editor.execute(statement, params=None)
