"""rt2data.allocator: the CLI's processes keep large freed buffers for reuse; a user's own settings win."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from rt2data import allocator

def _has_mallinfo2() -> bool:
    import ctypes

    return allocator._glibc() and hasattr(ctypes.CDLL(None), "mallinfo2")


glibc = pytest.mark.skipif(not _has_mallinfo2(), reason="glibc >= 2.33 only (mallopt, mallinfo2)")

_PROBE = """
import ctypes
from rt2data.allocator import tune_allocator


class MallInfo2(ctypes.Structure):  # glibc >= 2.33
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


set_now = tune_allocator()
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = (ctypes.c_size_t,)
libc.mallinfo2.restype = MallInfo2
before = libc.mallinfo2().hblkhd
big = libc.malloc(2 << 20)
print(set_now, libc.mallinfo2().hblkhd - before >= (2 << 20))  # mmapped chunks' bytes grew by the 2 MB
"""


def _probe(env: dict[str, str]) -> tuple[bool, bool]:
    # a test process may carry settings of its own (importing dask's distributed sets MALLOC_TRIM_THRESHOLD_)
    base = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    run = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, env={**base, **env})
    assert run.returncode == 0, run.stderr
    out = run.stdout.split()
    return out[0] == "True", out[1] == "True"


@glibc
def test_large_buffers_come_from_the_heap_once_tuned():
    assert _probe({}) == (True, False)  # 2 MB from the heap: freed, it is reused, not unmapped


@glibc
@pytest.mark.parametrize("name", ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"])
def test_a_users_own_malloc_settings_are_left_alone(name):
    set_now, mapped = _probe({name: "131072"})
    assert not set_now
    if name == "MALLOC_MMAP_THRESHOLD_":
        assert mapped  # the user's 128 KB threshold holds: 2 MB is mmapped


def test_the_cli_tunes_its_process(monkeypatch):
    from click.testing import CliRunner

    from rt2data.cli.main import cli

    calls = []
    monkeypatch.setattr("rt2data.cli.main.tune_allocator", lambda: calls.append(1) or True)
    result = CliRunner().invoke(cli, ["info"])
    assert result.exit_code == 0, result.output
    assert calls == [1]
