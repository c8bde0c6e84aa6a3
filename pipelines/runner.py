"""Running rt2data's Beam pipelines: one options record (:class:`RunnerOptions`), one place that builds Beam's
``PipelineOptions`` from it, runs a pipeline and turns a worker's error back into the package's own exception.

``convert``, ``stats`` and ``mix`` run on the embedded runner of ``rt2data.pipelines.local`` unless a runner is named
(no Beam at all: one function per input shard over local worker processes; ``mix``: ``rt2data.pipelines.mix_local``). For Beam, the default is the embedded
FnApiRunner (offline; Beam 2.77's DirectRunner first tries to download a Prism binary); ``workers > 1`` runs it
with that many worker processes. Any other runner (DataflowRunner,
FlinkRunner, SparkRunner, DaskRunner) is chosen by name and configured with its standard Beam flags passed through
``beam_args``; the pipelines use only portable transforms, so no code changes between runners.

Filesystem options (``--s3_endpoint_url``, ``--s3_region_name``, ``--project``, ... in ``beam_args``) reach every
process that touches a URL: the driver (:meth:`RunnerOptions.configure_io`, called by the pipelines before their
driver-side reads and writes), the worker processes of ``rt2data.pipelines.local`` (forked from the driver, and
set up with :meth:`RunnerOptions.configure_io`), Beam's FnApiRunner's worker processes (its provision info
carries the encoded options; Beam 2.77's default carries none), Dask workers (a ``WorkerPlugin`` calling
``FileSystems.set_options``: Beam's DaskRunner hands them no options) and remote runners such as Dataflow (Beam ships the options itself).
"""

from __future__ import annotations

import importlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from rt2data import errors, io
from rt2data.errors import ConfigError
from rt2data.pipelines.worker_logs import worker_stderr_filter

__all__ = ["DEFAULT_RUNNER", "RunnerOptions", "run_pipeline", "unwrap_worker_error", "make_pipeline_options",
           "quiet_beam_logging"]

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

    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ConfigError(f"--workers must be a whole number >= 1, got {workers!r}")
    runner = runner or DEFAULT_RUNNER
    _check_runner(runner)
    args = [f"--runner={RUNNER_ALIASES.get(runner, runner)}"]
    if runner in ("FnApiRunner", "DirectRunner", "BundleBasedDirectRunner"):
        args.append(f"--direct_num_workers={workers}")
        if workers > 1:
            args.append("--direct_running_mode=multi_processing")
    if runner == "DaskRunner" and not any(a.startswith(("--dask_npartitions", "--dask_partition_size"))
                                          for a in extra_args):
        # Beam's DaskRunner packs up to 128 created elements into one Dask partition (one task): our Creates
        # hold coarse work units (an input shard, a source file), so a run would use one worker. One per task.
        args.append("--dask_partition_size=1")
    if not any(a.startswith("--default_sdk_harness_log_level") for a in extra_args):
        # Worker processes log to stderr at INFO by default; follow the driver's level instead.
        level = logging.getLevelName(min(logging.getLogger().getEffectiveLevel(), logging.WARNING))
        args.append(f"--default_sdk_harness_log_level={level}")
    args.extend(extra_args)
    return PipelineOptions(args, **overrides)


@dataclass(frozen=True)
class RunnerOptions:
    """Where and how a pipeline runs (never what it computes: outputs are the same bytes on every runner).

    Attributes:
        runner: Beam runner name (``None``: the embedded ``FnApiRunner``); ``DaskRunner`` is known by short name.
        workers: worker processes of the embedded runner (``--workers``).
        beam_args: further standard Beam flags, passed through untouched (``--beam-arg``).
    """

    runner: str | None = None
    workers: int = 1
    beam_args: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not isinstance(self.workers, int) or isinstance(self.workers, bool) or self.workers < 1:
            raise ConfigError(f"--workers must be a whole number >= 1, got {self.workers!r}")
        if isinstance(self.beam_args, str):
            raise ConfigError(f"--beam-arg: expected a list of flags, got the string {self.beam_args!r}")
        object.__setattr__(self, "beam_args", tuple(self.beam_args))

    def pipeline_options(self, **overrides: Any):
        """Beam ``PipelineOptions`` for these settings (see :func:`make_pipeline_options`)."""
        return make_pipeline_options(runner=self.runner, workers=self.workers, extra_args=self.beam_args,
                                     **overrides)

    def configure_io(self) -> None:
        """Give ``beam_args``' filesystem options to this process's URL I/O (``rt2data.io``): the driver's reads of
        metadata and statistics and its writes of the manifest. Without ``beam_args`` nothing changes (the SDKs'
        environment variables still apply) and Beam is not imported."""
        if self.beam_args:
            io.set_options(self.pipeline_options())


_ERROR_NAMES = tuple(name for name in errors.__all__ if name.endswith("Error"))


def _strip_step(text: str) -> str:
    """The message without the ``[while running 'Step']`` suffix Beam appends."""
    return re.sub(r"\s*\[while running '[^']*'\]\s*$", "", text)


def _first_line(text: str) -> str:
    """The first line of a remote traceback's message, without Beam's step suffix."""
    return _strip_step(text.splitlines()[0] if text else text)


def _cleaned(error: errors.Rt2DataError) -> errors.Rt2DataError:
    """``error`` with Beam's step suffix removed from its message (notes kept)."""
    line = _strip_step(str(error))
    if line == str(error):
        return error
    clean = type(error)(line)
    for note in getattr(error, "__notes__", ()):
        clean.add_note(note)
    return clean


def unwrap_worker_error(exc: BaseException) -> BaseException:
    """The package's own error behind a Beam failure, or ``exc`` itself.

    Beam wraps an exception raised in a worker: in-process runners keep it in the ``__cause__``/``__context__``
    chain; multi-process and remote runners only carry its traceback text (``rt2data.errors.DataError: ...``).
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, errors.Rt2DataError):
            return _cleaned(seen)
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    for name in _ERROR_NAMES:
        marker = f"rt2data.errors.{name}: "
        if marker in text:
            return getattr(errors, name)(_first_line(text.split(marker, 1)[1]))
    return exc


def _runner(options: RunnerOptions, pipeline_options: Any) -> Any:
    """The runner object when the options must be handed to workers by us, else None (Beam picks by name)."""
    name = options.runner or DEFAULT_RUNNER
    if name == "FnApiRunner":
        # The embedded runner's worker processes (--workers N) get their options from the provision info, which
        # Beam's default leaves empty: without this, an s3:// read in a worker ignores --s3_endpoint_url.
        from apache_beam.portability.api import beam_provision_api_pb2
        from apache_beam.runners.portability.fn_api_runner import fn_runner
        from apache_beam.runners.portability.portable_runner import JobServiceHandle

        encoded = JobServiceHandle.encode_pipeline_options(pipeline_options.get_all_options(drop_default=True))
        info = fn_runner.ExtendedProvisionInfo(beam_provision_api_pb2.ProvisionInfo(pipeline_options=encoded))
        return fn_runner.FnApiRunner(provision_info=info)
    if name == "DaskRunner" and options.beam_args:
        _configure_dask_workers(pipeline_options)
    return None


def _configure_dask_workers(pipeline_options: Any) -> None:
    """Register a ``WorkerPlugin`` that sets the filesystem options on every worker of the Dask cluster the
    DaskRunner will use (Beam's DaskRunner hands its workers no options)."""
    from apache_beam.runners.dask.dask_runner import DaskOptions  # light: Dask only for the Dask runner
    import distributed
    from distributed.diagnostics.plugin import WorkerPlugin

    class FileSystemOptionsPlugin(WorkerPlugin):
        """Sets Beam's filesystem options in each Dask worker process (cloudpickled with the options dict)."""

        def __init__(self, options: dict[str, Any]) -> None:
            self.options = dict(options)

        def setup(self, worker: Any = None) -> None:
            from apache_beam.io.filesystems import FileSystems
            from apache_beam.options.pipeline_options import PipelineOptions

            FileSystems.set_options(PipelineOptions.from_dictionary(self.options))

    address = pipeline_options.view_as(DaskOptions).address
    if not address:
        return
    client = distributed.Client(address, set_as_default=False)
    try:
        client.register_plugin(FileSystemOptionsPlugin(pipeline_options.get_all_options(drop_default=True)),
                               name="rt2data-filesystem-options")
    finally:
        client.close()


def run_pipeline(build: Callable[[Any], None], options: RunnerOptions | None = None) -> None:
    """Build a pipeline with ``build(pipeline)`` and run it to completion with ``options``.

    A worker's rt2data error comes back as that error, one line (Beam's own log of the worker exception, with its
    traceback, is silenced; ``--debug`` shows the chain).
    """
    import apache_beam as beam  # Beam is imported when a pipeline runs: `import rt2data.pipelines.runner` stays light

    options = options or RunnerOptions()
    pipeline_options = options.pipeline_options()
    beam_errors = logging.getLogger("apache_beam.runners.common")
    level = beam_errors.level
    beam_errors.setLevel(logging.CRITICAL)  # it logs every worker exception before re-raising it; we report it
    try:
        runner = _runner(options, pipeline_options)
        with worker_stderr_filter(pipeline_options), beam.Pipeline(runner=runner, options=pipeline_options) as pipeline:
            build(pipeline)
    except Exception as exc:
        ours = unwrap_worker_error(exc)
        if ours is not exc:
            raise ours from exc
        raise
    finally:
        beam_errors.setLevel(level)
