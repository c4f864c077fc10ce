-- The privileges of the role LoanFlow's processes connect as (docs/security.md, "The record").
--
-- Migrations run as the owner of the tables; gunicorn, the Celery worker and beat connect as an
-- application role that owns nothing and may not change the record: it reads and appends audit
-- events, deviations, their reviews and verification runs, moves chain seals forward, and can
-- neither UPDATE, DELETE nor TRUNCATE them, nor switch the triggers off (ALTER TABLE needs the
-- owner, session_replication_role a superuser). The triggers refuse the same to every role.
--
-- Once:   CREATE ROLE loanflow_app LOGIN PASSWORD '…' NOSUPERUSER NOCREATEDB NOCREATEROLE;
-- After every `manage.py migrate` (new tables), as the owner:
--   psql "postgres://loanflow@127.0.0.1:5432/loanflow" -v app_role=loanflow_app \
--        -f deploy/postgres/application-role.sql
\set ON_ERROR_STOP on

GRANT CONNECT ON DATABASE :"DBNAME" TO :"app_role";
GRANT USAGE ON SCHEMA public TO :"app_role";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_role";
REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM :"app_role";

-- The record: read and append only.
REVOKE UPDATE, DELETE ON
    workflow_auditevent,
    workflow_deviation,
    workflow_deviationreview,
    workflow_verificationrun
FROM :"app_role";
-- A chain's seal moves forward with each append (UPDATE, checked by its trigger), never away.
REVOKE DELETE ON workflow_chainseal FROM :"app_role";
-- Policy versions keep UPDATE and DELETE for versions not yet in force; the trigger refuses the
-- rest. The migration history is the owner's: the application only reads it (/readyz).
REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM :"app_role";
