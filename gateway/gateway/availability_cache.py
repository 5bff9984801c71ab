"""Availability answers kept at the edge, so a crowd refreshing the page does not reach scheduling.

An office's entries go when its seats change: at once in this process after a booking, cancel, reschedule
or capacity change made through it, and in every gateway replica when scheduling's event for the change
arrives on the replica's broadcast queue (milliseconds after the commit). The TTL (1 s) bounds what the
events cannot: a broadcast lost in a broker restart, or a refetch that reaches a scheduling replica which
has not yet handled the same event. A stale answer can only show a seat that has just gone (the booking
then answers SLOT_FULL) or hide one for a moment: the booking itself is always judged by the database.
"""

from nameko.extensions import DependencyProvider

from antre_common.cache import ChangeDroppedCache

DEFAULT_SECONDS = 1.0

# ``{(office, *rest): answer}``, dropped per office; concurrent misses of one key share one fetch, so after a
# booking drops the office the crowd's next reads make one RPC, not one each.
OfficeAnswers = ChangeDroppedCache


class AvailabilityCache(DependencyProvider):
    """One per gateway process. Config ``GATEWAY_AVAILABILITY_SECONDS`` (0 turns the cache off)."""

    def setup(self):
        value = self.container.config.get("GATEWAY_AVAILABILITY_SECONDS")
        ttl = DEFAULT_SECONDS if value in (None, "") else float(value)
        self.answers = OfficeAnswers(ttl) if ttl > 0 else None

    def get(self, key, fetch):
        return fetch() if self.answers is None else self.answers.get(key, fetch)

    def drop(self, office_code):
        if self.answers is not None and office_code:
            self.answers.drop(office_code)

    def get_dependency(self, worker_ctx):
        return self
