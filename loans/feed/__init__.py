"""The core-banking feed: a CSV file of repayments and days past due per loan reference, imported
all or nothing through the engine's actions (docs/servicing.md, "The core-banking feed and
classification").

``rows`` parses the file and judges each row on its own; ``importer`` judges the rows against the
loans in a few set-based reads, then applies each loan's rows as one engine action
(``core_feed_apply``) through ``workflow.batch.perform_in_batches``, in one transaction, a few
hundred loans locked and written together.
"""

from loans.feed.importer import FeedConflict, FeedResult, feed_import

__all__ = ["FeedConflict", "FeedResult", "feed_import"]
