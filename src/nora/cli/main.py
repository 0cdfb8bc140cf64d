"""The ``nora`` command: entry point, dispatch and the one place where errors become exit codes.

The first word decides the form: ``nora init|demo|serve ...`` are the server-side subcommands, ``nora
admin ...`` is ``nora --admin ...``, and anything else is NORA's flag-style command line
(``nora -p PROJECT --projectlist``, ``-s SUBJECT FILES`` ...). Errors go to stderr as ``nora: error: ...``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Callable

from pydantic import ValidationError

from nora.cli import admin, dicomnode, flags, processing, server
from nora.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NoraError,
    NotAuthenticated,
    NotFound,
    ServerFault,
    Unavailable,
    category,
    validation_problems,
)
from nora.core.settings import Settings

log = logging.getLogger(__name__)

EXIT_ERROR = 1
#: error class -> exit status; an error takes that of its nearest class listed here (an unexpected
#: exception, not a NoraError, exits 70)
EXIT_CODES: dict[type[NoraError], int] = {
    InvalidInput: 2,  # TooLarge and the other bad-input errors with it
    NotFound: 3,
    NotAuthenticated: 4,
    Forbidden: 4,
    Conflict: 5,
    Unavailable: 6,
    ServerFault: EXIT_ERROR,
    NoraError: EXIT_ERROR,
}
EXIT_UNEXPECTED = 70
EXIT_INTERRUPTED = 130

SUBCOMMANDS: dict[str, Callable[[list[str], Settings], int]] = {
    "init": server.run_init,
    "demo": server.run_demo,
    "serve": server.run_serve,
    "admin": admin.run,
    "daemon": processing.run_daemon,
    "dicom-node": dicomnode.run_dicom_node,
}


def exit_code(error: NoraError) -> int:
    """The exit status of an error: that of its class's nearest base listed in :data:`EXIT_CODES`."""
    return EXIT_CODES[category(type(error), EXIT_CODES)]


def _first_word(argv: list[str]) -> int | None:
    """Index of the first argument after the options every form accepts (``--debug``, ``--user NAME``)."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--debug" or arg.startswith("--user="):
            i += 1
        elif arg == "--user":
            i += 2
        else:
            return i
    return None


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = validation_problems(exc.errors())
        raise InvalidInput(f"invalid configuration (NORA_* variables or nora.toml): {problems}") from None


def _dispatch(argv: list[str]) -> int:
    settings = _settings()
    index = _first_word(argv)
    if index is not None and argv[index] in SUBCOMMANDS:
        return SUBCOMMANDS[argv[index]](argv[:index] + argv[index + 1 :], settings)
    return flags.run(argv, settings)


def main(argv: list[str] | None = None) -> int:
    """Run ``nora`` with ``argv`` (default: the process arguments); returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        return _dispatch(args)
    except NoraError as exc:
        print(f"nora: error: {exc.message}", file=sys.stderr)
        return exit_code(exc)
    except SystemExit as exc:  # argparse's --help
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("nora: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (nora -s ... | head): no error, and no noise at exit
        with contextlib.suppress(OSError, ValueError):  # not a real file (in-process callers)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if debug:
            traceback.print_exc()
        print(f"nora: error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        if not debug:
            print("nora: run again with --debug for the traceback", file=sys.stderr)
        return EXIT_UNEXPECTED


if __name__ == "__main__":
    sys.exit(main())
