"""The C allocator of an ``rt2data`` command's process: large buffers kept for reuse instead of handed back.

A convert reads every episode record (a few MB of JPEG frames each) into a new buffer, and every worker's writer
joins its batches into new 1 MB buffers. glibc's ``malloc`` serves such sizes with a fresh ``mmap`` (above its
mmap threshold) or returns them to the kernel when freed at the top of the heap (above its trim threshold): the
next buffer of the same size is then faulted in again, page by page, and zeroed by the kernel. On the machines
this was measured on that was about a third of a 1-worker convert's system time (1.1-1.3 s -> 0.7-0.8 s of
50,000 steps; README, "Benchmarks"). :func:`tune_allocator` raises both thresholds so freed buffers stay in the
process and the next one reuses their pages; peak RSS does not grow with them (the same ~60 MB here).

The CLI calls it once at start (and its forked workers inherit it). A library user's process is left as it is:
it is that program's choice. A process started with glibc's own ``MALLOC_MMAP_THRESHOLD_`` or
``MALLOC_TRIM_THRESHOLD_`` (or ``MALLOC_TOP_PAD_``) in its environment is left as it is too; elsewhere than glibc
nothing happens.
"""

from __future__ import annotations

import os

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "tune_allocator"]

MMAP_THRESHOLD = 32 << 20
"""Allocations below this come from the heap and are reused when freed (glibc's dynamic threshold stops here too)."""
TRIM_THRESHOLD = 128 << 20
"""Free memory at the top of the heap up to this is kept instead of returned to the kernel."""

_M_TRIM_THRESHOLD = -1  # glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")


def tune_allocator() -> bool:
    """Set glibc's mmap and trim thresholds (:data:`MMAP_THRESHOLD`, :data:`TRIM_THRESHOLD`) for this process;
    returns whether they were set (False: not glibc, or the environment already sets them)."""
    if any(name in os.environ for name in _USER_SETTINGS) or not _glibc():
        return False
    import ctypes  # light: a few ms, once per command

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - glibc always has it
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def _glibc() -> bool:
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (AttributeError, ValueError, OSError):  # no confstr, or no such name here (musl, macOS)
        return False
