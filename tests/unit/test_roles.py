import importlib

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from loans.roles import Role


def test_the_migration_creates_a_group_for_every_role():
    migration = importlib.import_module("loans.migrations.0002_role_groups")

    assert sorted(migration.ROLES) == sorted(Role.values)


@pytest.mark.django_db(transaction=True)
def test_every_roles_group_is_made_again_after_a_flush():
    """``manage.py flush`` empties the groups table; its post_migrate signal gives every role its
    group back, as Django gives back its permissions, and a group that stayed is left as it is."""
    Group.objects.filter(name=Role.REVIEWER).delete()
    kept = Group.objects.get(name=Role.APPROVER)

    call_command("migrate", verbosity=0)

    assert Group.objects.get(name=Role.APPROVER).pk == kept.pk
    assert Group.objects.filter(name=Role.REVIEWER).exists()

    call_command("flush", interactive=False, verbosity=0)

    assert sorted(Group.objects.values_list("name", flat=True)) == sorted(Role.values)
