"""Writes that belong to a transition of the watch-list process, run in its transaction."""

from __future__ import annotations

from django.apps import apps

from workflow.checks import CheckContext


def resolution_note(ctx: CheckContext) -> None:
    """Keep the note that resolves the item (its check insisted on one) in the item's file."""
    note = apps.get_model("watch", "WatchNote")
    note.objects.create(
        item=ctx.obj,
        author=ctx.actor,
        text=str(ctx.payload["note"]).strip(),
        resolves=True,
        created_at=ctx.now,
    )
