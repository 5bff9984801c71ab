"""Availability answers kept at the edge, so a crowd refreshing the page does not reach scheduling.

An office's entries go when its seats change: at once in this process after a booking, cancel, reschedule
or capacity change made through it, and in every gateway replica when scheduling's event for the change
arrives on the replica's broadcast queue (milliseconds after the commit). The TTL (1 s) bounds what the
events cannot: a broadcast lost in a broker restart, or a refetch that reaches a scheduling replica which
has not yet handled the same event. A stale answer can only show a seat that has just gone (the booking
then answers SLOT_FULL) or hide one for a moment: the booking itself is always judged by the database.
"""

from cachetools import TTLCache
from eventlet.event import Event
from nameko.extensions import DependencyProvider

DEFAULT_SECONDS = 1.0
_MISSING = object()


class OfficeAnswers:
    """``{(office, *rest): answer}`` with a generation per office: an answer fetched while the office
    changed is not stored (it may predate the change). Concurrent misses of one key share one fetch: after
    a booking drops the office, the crowd's next reads make one RPC, not one each."""

    def __init__(self, ttl, maxsize=4096):
        self.entries = TTLCache(maxsize=maxsize, ttl=ttl)
        self.generations = {}
        self.fetching = {}  # key -> Event of the fetch under way

    def get(self, key, fetch):
        answer = self.entries.get(key, _MISSING)  # one read: an entry may expire between two
        if answer is not _MISSING:
            return answer
        waiting = self.fetching.get(key)
        if waiting is not None:
            return waiting.wait()
        office = key[0]
        generation = self.generations.get(office, 0)
        done = self.fetching[key] = Event()
        try:
            answer = fetch()
        except BaseException as exc:  # also a killed green thread: its readers must not wait forever
            done.send_exception(exc)  # the readers that waited get the same error
            raise
        else:
            if self.generations.get(office, 0) == generation:
                self.entries[key] = answer
            done.send(answer)
        finally:
            if self.fetching.get(key) is done:
                del self.fetching[key]
        return answer

    def drop(self, office_code):
        self.generations[office_code] = self.generations.get(office_code, 0) + 1
        for store in (self.entries, self.fetching):  # a fetch under way may predate the change: not joined
            for key in [k for k in store if k[0] == office_code]:
                store.pop(key, None)


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
