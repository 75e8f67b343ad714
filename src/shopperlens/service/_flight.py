"""One computation at a time of what a store keeps once: its current types run, its CLV run.

The web server answers requests in threads. Three pages opened together each found no current
types run, and each computed one and stored it: three runs for the same date (and three times
the memory). A caller that finds nothing stored takes the store's lock for that result, looks
again under it, and computes only when it is still missing; the others wait and then find the
run the first one stored.

The locks are re-entrant (a computation that asks for the same result again in its own thread
does not wait for itself) and kept per store object, forgotten with it.
"""

from __future__ import annotations

import threading
import weakref

from shopperlens.store import Store

_LOCKS: weakref.WeakKeyDictionary[Store, dict[str, threading.RLock]] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def one_at_a_time(store: Store, what: str) -> threading.RLock:
    """The lock of ``store``'s result ``what`` (``"types"``, ``"clv"`` …): hold it to compute
    and store that result, after looking again whether another thread has stored it."""
    with _GUARD:
        locks = _LOCKS.setdefault(store, {})
        return locks.setdefault(what, threading.RLock())
