import importlib

from loans.roles import Role


def test_the_migration_creates_a_group_for_every_role():
    migration = importlib.import_module("loans.migrations.0002_role_groups")

    assert sorted(migration.ROLES) == sorted(Role.values)
