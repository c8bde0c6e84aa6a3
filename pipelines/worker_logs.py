"""The stderr of Beam's worker processes, filtered to the driver's log level.

With ``--workers N`` Beam's FnApiRunner starts its SDK workers as subprocesses that share the driver's stderr. Each
logs its start-up and every bundle at INFO in Python's default format (``INFO:name:message``) before its (empty)
pipeline options could set a level, plus import-time warnings (``apitools not found``): dozens of lines even under
``-q``. While such a pipeline runs, :func:`worker_stderr_filter` points file descriptor 2 at a pipe, and a driver
thread copies everything to the real stderr except worker log lines below the driver's level and that known
chatter. Other output (the driver's own log lines, tracebacks, progress bars) passes through unchanged.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading
from typing import Iterator

__all__ = ["worker_stderr_filter", "keep_line"]

_WORKER_LINE = re.compile(rb"^(DEBUG|INFO|WARNING|ERROR|CRITICAL):")
_PREFIXES = (b"DEBUG:", b"INFO:", b"WARNING:", b"ERROR:", b"CRITICAL:")
_CHATTER = (b"apitools not found", b"No semi_persistent_directory found")


def keep_line(line: bytes, level: int) -> bool:
    """Whether a line written to stderr is shown: worker log lines (``LEVEL:name:message``) only at ``level`` or
    above and never Beam's start-up chatter; every other line always."""
    match = _WORKER_LINE.match(line)
    if match is None:
        return True
    return logging.getLevelName(match.group(1).decode()) >= level and not any(c in line for c in _CHATTER)


def _maybe_worker_line(partial: bytes) -> bool:
    return any(p.startswith(partial[: len(p)]) for p in _PREFIXES)


def _copy(read_fd: int, out_fd: int, level: int) -> None:
    buffer = b""
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        while chunk := pipe.read(65536):
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            out = b"".join(line + b"\n" for line in lines if keep_line(line, level))
            if buffer and not _maybe_worker_line(buffer):  # a progress bar redraws without a newline
                out, buffer = out + buffer, b""
            if out:
                os.write(out_fd, out)
    if buffer and keep_line(buffer, level):
        os.write(out_fd, buffer)


@contextlib.contextmanager
def worker_stderr_filter(options=None, *, enabled: bool | None = None) -> Iterator[None]:
    """Filter worker processes' stderr while the block runs (see the module docstring).

    Args:
        options: the pipeline's ``PipelineOptions``; filtering is on when they run workers as subprocesses
            (``--direct_running_mode=multi_processing``).
        enabled: force it on or off.
    """
    if enabled is None:
        mode = options.get_all_options().get("direct_running_mode") if options is not None else None
        enabled = mode == "multi_processing"
    if not enabled:
        yield
        return
    level = logging.getLogger().getEffectiveLevel()
    sys.stderr.flush()
    saved = os.dup(2)
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    thread = threading.Thread(target=_copy, args=(read_fd, saved, level), name="worker-stderr", daemon=True)
    thread.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # the pipe's last write end (once the workers have exited): the copier sees its end
        thread.join(timeout=5)
        os.close(saved)
