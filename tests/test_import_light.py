"""``import rt2data`` and the codec modules stay light: no TensorFlow, Apache Beam or torch (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("tensorflow", "apache_beam", "torch")
LIGHT_MODULES = [
    "rt2data",
    "rt2data.errors",
    "rt2data.example",
    "rt2data.codec.action_space",
    "rt2data.codec.normalize",
    "rt2data.codec.bins",
    "rt2data.codec.action_text",
    "rt2data.codec.vocab",
    "rt2data.codec.action_codec",
    "rt2data.prompt",
    "rt2data.schemas",
    "rt2data.testing.strategies",
    "rt2data.cli.main",
    "rt2data.cli.codec_cmds",
]

PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
heavy = sorted({m.split('.')[0] for m in sys.modules} & {"tensorflow", "apache_beam", "torch"})
print(json.dumps(heavy))
"""


def _heavy_after_import(*modules: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *modules], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_rt2data_alone_is_light():
    assert _heavy_after_import("rt2data") == []


def test_codec_modules_and_cli_are_light():
    assert _heavy_after_import(*LIGHT_MODULES) == []


def test_probe_detects_heavy_imports():
    """The probe itself must be able to fail: importing a Beam-using module is detected."""
    pytest.importorskip("apache_beam")
    assert _heavy_after_import("rt2data", "apache_beam") == ["apache_beam"]


def test_codec_round_trip_in_light_interpreter():
    code = (
        "from rt2data.codec.action_codec import ActionCodec; import sys; c = ActionCodec.rt2_default(); "
        "e = c.encode([[1, 0, 0, 0, 0, 0, 0, 1]]); print(e.texts[0]); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(%r)))" % (HEAVY,)
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.splitlines() == ["1 128 128 128 128 128 128 255", "[]"], proc.stderr
