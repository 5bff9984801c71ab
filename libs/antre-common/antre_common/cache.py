"""The change-dropped cache: answers kept for a while, grouped by a scope (an office), dropped when the scope
changes.

Keys are tuples whose first item is the scope. ``drop(scope)`` forgets the scope's answers at once and bumps
its generation: an answer fetched while its scope changed is returned to its reader but not kept (it may
predate the change). Concurrent misses of one key share one fetch, and its error. A TTL bounds what a lost
drop would leave stale. One instance per process, shared by its green threads (no locks needed: eventlet
switches only on I/O).
"""

from cachetools import TTLCache
from eventlet.event import Event

_MISSING = object()


class ChangeDroppedCache:
    def __init__(self, ttl, maxsize=4096):
        self.entries = TTLCache(maxsize=maxsize, ttl=ttl)
        self.generations = {}
        self.fetching = {}  # key -> Event of the fetch under way

    def _generation(self, scope):
        return self.generations.get(scope, 0)

    def get(self, key, fetch):
        """The kept answer for ``key`` or ``fetch()``'s; errors are not kept."""
        answer = self.entries.get(key, _MISSING)  # one read: an entry may expire between two
        if answer is not _MISSING:
            return answer
        waiting = self.fetching.get(key)
        if waiting is not None:
            return waiting.wait()
        generation = self._generation(key[0])
        done = self.fetching[key] = Event()
        try:
            answer = fetch()
        except BaseException as exc:  # also a killed green thread: its readers must not wait forever
            done.send_exception(exc)  # the readers that waited get the same error
            raise
        else:
            if self._generation(key[0]) == generation:
                self.entries[key] = answer
            done.send(answer)
        finally:
            if self.fetching.get(key) is done:
                del self.fetching[key]
        return answer

    def get_many(self, scope, items, load):
        """``{item: answer}`` for keys ``(scope, item)``; the missing items are loaded together with
        ``load(scope, missing)`` (a dict; an item it leaves out is answered and kept as ``()``)."""
        found, missing = {}, []
        for item in items:
            answer = self.entries.get((scope, item), _MISSING)
            if answer is _MISSING:
                missing.append(item)
            else:
                found[item] = answer
        if missing:
            generation = self._generation(scope)
            loaded = load(scope, missing)
            keep = self._generation(scope) == generation
            for item in missing:
                answer = found[item] = loaded.get(item, ())
                if keep:
                    self.entries[(scope, item)] = answer
        return found

    def drop(self, scope, items=None):
        """Forget the scope's answers (only ``(scope, item)`` of ``items`` when given)."""
        self.generations[scope] = self._generation(scope) + 1
        if items is not None:
            for item in items:
                self.entries.pop((scope, item), None)
            return
        for store in (self.entries, self.fetching):  # a fetch under way may predate the change: not joined
            for key in [k for k in store if k[0] == scope]:
                store.pop(key, None)
