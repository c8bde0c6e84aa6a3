"""How many worker processes a command uses when ``--workers`` is not given: the cores this process may run on.

``convert``, ``stats``, ``mix`` (on the embedded runner) and ``validate`` use :func:`default_workers`; the bytes
they write or report do not depend on the number (tests run each with 1, 2 and more).
"""

from __future__ import annotations

import os

__all__ = ["MAX_DEFAULT_WORKERS", "default_workers"]

MAX_DEFAULT_WORKERS = 8
"""At most this many by default: beyond it a command on a large machine is better told (``--workers N``)."""


def default_workers() -> int:
    """The cores this process may use (its CPU affinity where the platform has one), at most
    :data:`MAX_DEFAULT_WORKERS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_WORKERS))
