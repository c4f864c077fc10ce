"""Sealing chain heads with an HMAC keyed by ``AUDIT_HMAC_KEY``, a secret outside the database.

A hash chain alone proves nothing to someone who can write the table: they can change an entry
and re-hash every entry after it, or cut entries off the end. The seal of each chain — its last
seq and hash under an HMAC — cannot be recomputed without the key, so either shows. Each append
moves its chain's seal forward in the same transaction, with one upsert.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from workflow.models import Chain, ChainSeal

GENESIS_HASH = "0" * 64


def keys() -> dict[str, bytes]:
    """Every key that verifies seals, by id: the current one and the retired ones."""
    found = {settings.AUDIT_HMAC_KEY_ID: settings.AUDIT_HMAC_KEY.encode()}
    for item in settings.AUDIT_HMAC_RETIRED_KEYS:
        key_id, separator, key = item.partition(":")
        if not separator or not key_id or not key:
            raise ImproperlyConfigured(
                "AUDIT_HMAC_RETIRED_KEYS takes id:key pairs, comma-separated."
            )
        found.setdefault(key_id, key.encode())
    return found


def object_label(content_type_id: int) -> str:
    """The model's natural key, stable across dumps and restores (ids are not)."""
    content_type = ContentType.objects.get_for_id(content_type_id)
    return f"{content_type.app_label}.{content_type.model}"


def mac(key: bytes, chain: str, model: str, object_id: int, seq: int, head: str) -> str:
    message = f"loanflow-seal/1|{chain}|{model}|{object_id}|{seq}|{head}"
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def seal(
    chain: Chain, content_type_id: int, object_id: int, seq: int, head: str, now: datetime
) -> None:
    """Move the chain's seal to ``(seq, head)``: one INSERT … ON CONFLICT DO UPDATE."""
    key_id = settings.AUDIT_HMAC_KEY_ID
    signature = mac(
        settings.AUDIT_HMAC_KEY.encode(), chain, object_label(content_type_id), object_id, seq, head
    )
    ChainSeal.objects.bulk_create(
        [
            ChainSeal(
                chain=chain,
                content_type_id=content_type_id,
                object_id=object_id,
                last_seq=seq,
                last_hash=head,
                key_id=key_id,
                mac=signature,
                sealed_at=now,
            )
        ],
        update_conflicts=True,
        unique_fields=["chain", "content_type", "object_id"],
        update_fields=["last_seq", "last_hash", "key_id", "mac", "sealed_at"],
    )


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


def claim(chain: Chain, content_type_id: int, object_id: int, now: datetime) -> Head:
    """Lock the chain's seal row (creating an empty one for a new chain) and return its head.

    Appends to the same chain wait here for each other; appends to other chains do not. Used where
    no row lock on the object already orders them (a deviation is recorded after the attempt's
    transaction rolled back, or by the timer sweep, which must not lock the object).
    """
    table = connection.ops.quote_name(ChainSeal._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} "  # noqa: S608 - the table name is the model's
            "(chain, content_type_id, object_id, last_seq, last_hash, key_id, mac, sealed_at) "
            "VALUES (%s, %s, %s, 0, %s, '', '', %s) "
            "ON CONFLICT (chain, content_type_id, object_id) "
            f"DO UPDATE SET last_seq = {table}.last_seq "
            "RETURNING last_seq, last_hash",
            [chain.value, content_type_id, object_id, GENESIS_HASH, now],
        )
        seq, head = cursor.fetchone()
    return Head(seq, head)
