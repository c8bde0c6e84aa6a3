"""What is installed, for a bug report (``rt2data info``): versions, the package's extras, and the Beam runners.

Nothing here imports Beam, TensorFlow or torch: versions come from the installed distributions' metadata
(``importlib.metadata``) and a runner counts as usable when the packages it needs can be found
(``importlib.util.find_spec``), so the report takes well under a second and works with a broken extra.
"""

from __future__ import annotations

import importlib.metadata as metadata
import importlib.util
import platform
import re
import sys
from dataclasses import dataclass
from typing import Any

from rt2data.pipelines.local import LOCAL_RUNNER
from rt2data.pipelines.runner import DEFAULT_RUNNER

__all__ = ["RunnerInfo", "RUNNERS", "DEFAULTS", "runner_report", "extras_report", "versions", "environment_report",
           "format_environment"]

_VERSIONED = ("rt2data", "apache-beam", "tensorflow-datasets", "numpy", "webdataset", "pyarrow", "pillow", "click",
              "tensorflow-cpu", "tensorflow", "torch", "datasets", "dask", "distributed")


@dataclass(frozen=True)
class RunnerInfo:
    """A Beam runner ``--runner NAME`` accepts: the modules it needs here and what else it needs elsewhere."""

    name: str
    needs: tuple[str, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        if not self.name or " " in self.name:
            raise ValueError(f"runner name {self.name!r} must be one word (what --runner takes)")


RUNNERS: tuple[RunnerInfo, ...] = (
    RunnerInfo(LOCAL_RUNNER, (), "embedded worker processes without Beam, offline (--workers N)"),
    RunnerInfo("FnApiRunner", ("apache_beam",), "Beam's embedded runner, offline (--workers N for N processes)"),
    RunnerInfo("DirectRunner", ("apache_beam",), "Beam's local runner; Beam 2.77 first tries to download Prism"),
    RunnerInfo("PrismRunner", ("apache_beam",), "downloads the Prism binary on first use (network)"),
    RunnerInfo("DaskRunner", ("apache_beam", "dask", "distributed"),
               "pip install 'rt2data[dask]'; --beam-arg=--dask_client_address=HOST:PORT"),
    RunnerInfo("DataflowRunner", ("apache_beam", "apitools", "google.auth"),
               "needs a GCP project: pip install 'apache-beam[gcp]'"),
    RunnerInfo("FlinkRunner", ("apache_beam",), "needs a Flink cluster or job server (--beam-arg=--flink_master=...)"),
    RunnerInfo("SparkRunner", ("apache_beam",), "needs a Spark job server (--beam-arg=--spark_master_url=...)"),
    RunnerInfo("PortableRunner", ("apache_beam",), "needs a job endpoint (--beam-arg=--job_endpoint=...)"),
)
"""The runners rt2data's pipelines run on (portable Beam transforms only, or the embedded ``local`` runner)."""

DEFAULTS = {LOCAL_RUNNER: ("convert", "stats"), DEFAULT_RUNNER: ("mix",)}
"""Which commands use a runner when ``--runner`` is not given."""


def _found(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package is missing or broken
        return False


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def versions() -> dict[str, str | None]:
    """Python, the platform and the installed versions of rt2data and its main dependencies (None: not installed)."""
    found: dict[str, str | None] = {"python": platform.python_version(), "platform": platform.platform(),
                                    "executable": sys.executable}
    for name in _VERSIONED:
        version = _version(name)
        if version is not None or name not in ("tensorflow", "tensorflow-cpu"):
            found[name] = version
    return found


def extras_report() -> dict[str, dict[str, Any]]:
    """Each extra of the rt2data distribution: its requirements, and whether all of them are installed.

    Returns ``{extra: {"installed": bool, "requires": {distribution: version or None}}}``.
    """
    try:
        requires = metadata.distribution("rt2data").requires or []
    except metadata.PackageNotFoundError:
        return {}
    extras: dict[str, dict[str, Any]] = {}
    for requirement in requires:
        marker = re.search(r"""extra\s*==\s*["']([^"']+)["']""", requirement)
        name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        if marker is None or name is None:
            continue
        entry = extras.setdefault(marker.group(1), {"installed": True, "requires": {}})
        version = _version(name.group(1))
        entry["requires"][name.group(1)] = version
        entry["installed"] = entry["installed"] and version is not None
    return dict(sorted(extras.items()))


def runner_report() -> list[dict[str, Any]]:
    """Each runner with ``available`` (its packages are installed here), ``missing`` modules, ``default_for`` (the
    commands that use it without ``--runner``) and a note."""
    rows = []
    for runner in RUNNERS:
        missing = [m for m in runner.needs if not _found(m)]
        rows.append({"name": runner.name, "available": not missing, "missing": missing,
                     "default_for": list(DEFAULTS.get(runner.name, ())), "note": runner.note})
    return rows


def environment_report() -> dict[str, Any]:
    """Everything ``rt2data info`` prints: ``versions``, ``extras`` and ``runners``."""
    return {"versions": versions(), "extras": extras_report(), "runners": runner_report()}


def format_environment(report: dict[str, Any]) -> str:
    """The report as aligned text lines (what ``rt2data info`` prints without ``--json``)."""
    lines = ["versions:"]
    width = max(len(k) for k in report["versions"])
    lines += [f"  {name:<{width}}  {version or 'not installed'}" for name, version in report["versions"].items()]
    lines.append("extras:")
    for extra, entry in report["extras"].items():
        parts = ", ".join(f"{d} {v or 'missing'}" for d, v in entry["requires"].items())
        lines.append(f"  {extra:<10}  {'installed' if entry['installed'] else 'not installed':<13}  {parts}")
    lines.append("runners:")
    for row in report["runners"]:
        state = "available" if row["available"] else "missing"
        note = row["note"] + (f" (not installed: {', '.join(row['missing'])})" if row["missing"] else "")
        if row["default_for"]:
            note += f"; default for {', '.join(row['default_for'])}"
        lines.append(f"  {row['name']:<14}  {state:<9}  {note}")
    return "\n".join(lines)
