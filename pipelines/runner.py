"""Beam pipeline options shared by every rt2data pipeline.

The default is Beam's embedded FnApiRunner (offline; Beam 2.77's DirectRunner first tries to download a Prism
binary). ``workers > 1`` runs the FnApiRunner with that many worker processes. Any other runner (DataflowRunner,
FlinkRunner, SparkRunner, DaskRunner) is chosen by name and configured with its standard Beam flags passed through
``extra_args``; the pipelines use only portable transforms, so no code changes between runners.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any, Sequence

from rt2data.errors import ConfigError

__all__ = ["DEFAULT_RUNNER", "make_pipeline_options", "quiet_beam_logging"]

DEFAULT_RUNNER = "FnApiRunner"

# Runners Beam ships but does not know by short name.
RUNNER_ALIASES = {"DaskRunner": "apache_beam.runners.dask.dask_runner.DaskRunner"}


class _DropApitools(logging.Filter):
    """Beam's chatter that says nothing to a user: the apitools import warning, and each worker process's
    "No semi_persistent_directory found" warning (forwarded to the driver's log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "apitools not found" not in message and "No semi_persistent_directory found" not in message


def quiet_beam_logging() -> None:
    """Silence the apitools warning `import apache_beam` logs on the root logger, and Beam's INFO chatter.

    Call before Beam is imported (the CLI does it when it configures logging); calling it again is harmless.
    """
    beam_logger = logging.getLogger("apache_beam")
    beam_logger.setLevel(max(beam_logger.level, logging.WARNING))  # never below what the CLI chose (-q: ERROR)
    forwarded = logging.getLogger("apache_beam.runners.portability.local_job_service")  # workers' logs
    for logger in (logging.getLogger(), forwarded):
        if not any(isinstance(f, _DropApitools) for f in logger.filters):
            logger.addFilter(_DropApitools())


def _check_runner(runner: str) -> None:
    """``ConfigError`` unless Beam knows ``runner`` by name or it names an importable class (before any work)."""
    from apache_beam.options.pipeline_options import StandardOptions

    name = RUNNER_ALIASES.get(runner, runner)
    known = [*StandardOptions.KNOWN_RUNNER_NAMES, *RUNNER_ALIASES]
    if "." not in name:
        lowered = {k.lower() for k in known}
        if name.lower() in lowered or f"{name.lower()}runner" in lowered:
            return
        raise ConfigError(f"--runner {runner!r} is not a Beam runner; use one of {', '.join(sorted(known))}, or the "
                          "full name of a PipelineRunner class (package.module.ClassName)")
    module, _, cls = name.rpartition(".")
    try:
        found = hasattr(importlib.import_module(module), cls)
    except ImportError as exc:
        raise ConfigError(f"--runner {runner!r}: cannot import {module} ({exc}); install the runner's package") from exc
    if not found:
        raise ConfigError(f"--runner {runner!r}: {module} has no class {cls!r}")


def make_pipeline_options(
    *, runner: str | None = None, workers: int = 1, extra_args: Sequence[str] = (), **overrides: Any
):
    """Build ``PipelineOptions`` for a rt2data pipeline.

    Args:
        runner: Beam runner name; ``None`` means the embedded ``FnApiRunner``.
        workers: worker processes for the embedded runner (``>1`` uses multi_processing mode).
        extra_args: further standard Beam flags, passed through untouched (e.g. ``--project``, ``--region``
            for Dataflow, ``--flink_master`` for Flink, ``--dask_client_address`` for Dask).
        **overrides: option values set by keyword (e.g. ``save_main_session=False``).

    Returns:
        ``apache_beam.options.pipeline_options.PipelineOptions``.
    """
    quiet_beam_logging()
    from apache_beam.options.pipeline_options import PipelineOptions

    if workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    runner = runner or DEFAULT_RUNNER
    _check_runner(runner)
    args = [f"--runner={RUNNER_ALIASES.get(runner, runner)}"]
    if runner in ("FnApiRunner", "DirectRunner", "BundleBasedDirectRunner"):
        args.append(f"--direct_num_workers={workers}")
        if workers > 1:
            args.append("--direct_running_mode=multi_processing")
    if not any(a.startswith("--default_sdk_harness_log_level") for a in extra_args):
        # Worker processes log to stderr at INFO by default; follow the driver's level instead.
        level = logging.getLevelName(min(logging.getLogger().getEffectiveLevel(), logging.WARNING))
        args.append(f"--default_sdk_harness_log_level={level}")
    args.extend(extra_args)
    return PipelineOptions(args, **overrides)
