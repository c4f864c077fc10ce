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
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from workflow import writes
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
    seal_many(chain, {(content_type_id, object_id): Head(seq, head)}, now)


def seal_many(chain: Chain, heads: dict[tuple[int, int], Head], now: datetime) -> None:
    """Move the seals of several chains of one kind, keyed by (content type id, object id), to
    their new heads: one INSERT … ON CONFLICT DO UPDATE for all of them."""
    writes.together(sealing(chain, heads, now))


def sealing(chain: Chain, heads: dict[tuple[int, int], Head], now: datetime) -> writes.Statement:
    """The statement of :func:`seal_many`, to send with the write it seals (:mod:`writes`)."""
    key_id = settings.AUDIT_HMAC_KEY_ID
    key = settings.AUDIT_HMAC_KEY.encode()
    return writes.insert(
        [
            ChainSeal(
                chain=chain,
                content_type_id=content_type_id,
                object_id=object_id,
                last_seq=head.seq,
                last_hash=head.hash,
                key_id=key_id,
                mac=mac(key, chain, object_label(content_type_id), object_id, head.seq, head.hash),
                sealed_at=now,
            )
            for (content_type_id, object_id), head in sorted(heads.items())
        ],
        update_conflicts=["last_seq", "last_hash", "key_id", "mac", "sealed_at"],
        unique_fields=["chain", "content_type", "object_id"],
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
    return claim_many(chain, [(content_type_id, object_id)], now)[(content_type_id, object_id)]


def claim_many(
    chain: Chain, objects: list[tuple[int, int]], now: datetime
) -> dict[tuple[int, int], Head]:
    """``claim`` for several chains of one kind at once, keyed by (content type id, object id):
    one statement, the rows locked in key order (so two claimers of overlapping sets cannot wait
    for each other in a circle)."""
    wanted = sorted(set(objects))
    table = connection.ops.quote_name(ChainSeal._meta.db_table)
    rows = ", ".join(["(%s, %s, %s, 0, %s, '', '', %s)"] * len(wanted))
    params: list[Any] = []
    for content_type_id, object_id in wanted:
        params += [chain.value, content_type_id, object_id, GENESIS_HASH, now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} "  # noqa: S608 - the table name is the model's
            "(chain, content_type_id, object_id, last_seq, last_hash, key_id, mac, sealed_at) "
            f"VALUES {rows} "
            "ON CONFLICT (chain, content_type_id, object_id) "
            f"DO UPDATE SET last_seq = {table}.last_seq "
            "RETURNING content_type_id, object_id, last_seq, last_hash",
            params,
        )
        found = cursor.fetchall()
    return {(type_id, object_id): Head(seq, head) for type_id, object_id, seq, head in found}
