"""Entry point of the ``rt2data`` console script.

Commands live one per module in this package and are loaded lazily, so ``rt2data --help`` stays fast
and a command's heavy imports (Beam, tfds) happen only when it runs. Every ``Rt2DataError`` (and click
usage error) becomes one line on stderr and a non-zero exit; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import errno
import gc
import importlib
import logging
import os
import re
import sys
from pathlib import Path

import click

import rt2data
from rt2data.allocator import tune_allocator
from rt2data.errors import Rt2DataError

# name -> "module:attribute" under rt2data.cli
COMMANDS: dict[str, str] = {
    "tokenize": "codec_cmds:tokenize",
    "detokenize": "codec_cmds:detokenize",
    "vocab": "codec_cmds:vocab",
    "convert": "convert_cmds:convert",
    "stats": "convert_cmds:stats",
    "mix": "mix_cmds:mix",
    "schemas": "schemas_cmds:schemas",
    "inspect": "inspect_cmds:inspect",
    "validate": "validate_cmds:validate",
    "demo": "demo_cmds:demo",
    "info": "info_cmds:info",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, attr = COMMANDS[cmd_name].split(":")
            module = importlib.import_module(f"rt2data.cli.{module_name}")
            return getattr(module, attr)
        return super().get_command(ctx, cmd_name)


class _DropReraisedUserErrors(logging.Filter):
    """Beam logs a worker exception with its traceback before re-raising it; ours are printed as one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(record.msg, Rt2DataError) or isinstance(exc, Rt2DataError):
            return False
        # File-system errors (a full disk) are printed as one line too (os_error_line).
        return not (isinstance(exc, OSError) and exc.errno is not None)


def configure_logging(verbosity: int, quiet: bool) -> None:
    """Root logging for the CLI: warnings by default, -v info, -vv debug; Beam's import chatter silenced."""
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbosity, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True)
    # imported when the command runs: Beam stays out of the CLI's start-up (keeps it light)
    from rt2data.pipelines.runner import quiet_beam_logging

    quiet_beam_logging()
    # `import apache_beam` warns about apitools on the root logger; Beam's own loggers are noisy at INFO.
    for noisy in ("apache_beam", "absl", "root", "distributed", "tensorflow_datasets"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING) if verbosity < 2 else level)
    beam_common = logging.getLogger("apache_beam.runners.common")
    for f in [f for f in beam_common.filters if isinstance(f, _DropReraisedUserErrors)]:
        beam_common.removeFilter(f)
    if verbosity == 0:
        beam_common.addFilter(_DropReraisedUserErrors())


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(rt2data.__version__, prog_name="rt2data")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress bars.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, verbose: int, quiet: bool) -> None:
    """rt2data: RT-2 style training data from robot episodes and web data.

    \b
    Examples:
      rt2data demo .demo-out        # the whole flow on generated data, offline
      echo '[[1,0,0,0,0,0,0,1]]' | rt2data tokenize
    """
    ctx.ensure_object(dict)
    ctx.obj.update(debug=debug, verbose=verbose, quiet=quiet)
    configure_logging(verbose, quiet)
    tune_allocator()  # this process and its forked workers: big buffers reused (rt2data.allocator)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; library errors become one line and exit code 1 (2 for usage errors)."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        code = cli.main(args=argv, prog_name="rt2data", standalone_mode=False)
    except click.exceptions.Abort as exc:  # click turns Ctrl-C (KeyboardInterrupt) into Abort
        if debug and exc.__context__ is not None:
            raise
        click.echo(f"error: {_INTERRUPTED}" if isinstance(exc.__context__, KeyboardInterrupt) else "Aborted.",
                   err=True)
        sys.exit(130)
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.ClickException as exc:  # usage errors too: one line, with where to look
        hint = f" (see: {exc.ctx.command_path} --help)" if getattr(exc, "ctx", None) is not None else ""
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except Rt2DataError as exc:
        if debug:
            raise
        click.echo(f"error: {one_line(exc)}", err=True)
        sys.exit(1)
    except BrokenPipeError:
        sys.exit(1)
    except KeyboardInterrupt:
        if debug:
            raise
        click.echo(f"error: {_INTERRUPTED}", err=True)
        sys.exit(130)
    except Exception as exc:  # file-system errors, also as Beam re-raises them from a worker
        line = os_error_line(exc)
        if line is None or debug:
            raise
        click.echo(f"error: {line}", err=True)
        sys.exit(1)
    # Every output is closed and durable by now. Interpreter exit would run one more cyclic collection over every
    # object of every imported module (about 0.25 s after tensorflow_datasets): frozen objects are skipped.
    gc.freeze()
    # With standalone_mode=False, ctx.exit(n) returns n instead of exiting.
    sys.exit(code if isinstance(code, int) else 0)


# Library errors suggest the Python keyword a caller passes; on the command line the same choice is a flag.
PYTHON_TO_FLAG: dict[str, str] = {
    "out_of_range='clip'": "--out-of-range clip",
    "out_of_range='error'": "--out-of-range error",
    'corrupt="skip"': "--corrupt skip",
    "corrupt='skip'": "--corrupt skip",
}


_INTERRUPTED = "interrupted; finished work is kept: rerun the same command with --resume to continue"
_ERRNO_TEXT = re.compile(r"(?:\w+Error|OSError): \[Errno (\d+)\] ([^:\[]+?)(?:: '([^']*)')?(?:\s*\[while running|$)",
                         re.MULTILINE)
_STAGING_DIRS = (".staging", ".mix-staging")


def _find_os_error(exc: BaseException) -> tuple[int, str, str | None] | None:
    """``(errno, strerror, filename)`` of an ``OSError`` in ``exc``'s chain, or in its text (Beam re-raises a
    worker's exception as a ``RuntimeError`` carrying only the original's text)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno is not None:
            return seen.errno, seen.strerror or os.strerror(seen.errno), seen.filename
        seen = seen.__cause__ or seen.__context__
    match = _ERRNO_TEXT.search(str(exc))
    if match:
        return int(match.group(1)), match.group(2).strip(), match.group(3)
    return None


def os_error_line(exc: BaseException) -> str | None:
    """One line (what, where, what to do) for a file-system error a user can cause, or None for anything else."""
    found = _find_os_error(exc)
    if found is None:
        return None
    code, text, filename = found
    where = f" {filename}" if filename else ""
    if code in (errno.ENOSPC, errno.EDQUOT):
        path = Path(filename) if filename else None
        staging = next((p for p in ([path, *path.parents] if path else []) if p.name in _STAGING_DIRS), None)
        cleanup = f"or remove {staging}" if staging else "or remove the partial output"
        return (f"no space left on device while writing{where}; free space and rerun with --resume (finished work "
                f"is kept), {cleanup}")
    if code in (errno.EACCES, errno.EPERM):
        return f"permission denied:{where}; choose a directory you can write, or fix its permissions"
    if code == errno.EROFS:
        return f"read-only file system:{where}; choose an output directory on a writable file system"
    if code in (errno.ENOTDIR, errno.EEXIST):
        return f"{text}:{where}; a part of the path is a file where a directory is needed: choose another path"
    if code == errno.ENOENT:
        return f"no such file or directory:{where}"
    return f"{text}:{where}" if where else text


def one_line(exc: BaseException) -> str:
    """The first line of an error plus its notes (where it happened), as one line, naming CLI flags."""
    lines = str(exc).strip().splitlines()
    message = lines[0] if lines else type(exc).__name__
    notes = [n.strip() for n in getattr(exc, "__notes__", ()) if n.strip()]
    text = message + (f" ({'; '.join(notes)})" if notes else "")
    for keyword, flag in PYTHON_TO_FLAG.items():
        text = text.replace(keyword, flag)
    return text


if __name__ == "__main__":
    main()
