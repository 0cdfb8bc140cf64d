"""Run one job on a compute node: ``python -m nora.processing.runner JOBDIR``.

The job folder holds ``spec.json`` (written at dispatch: the job, its resolved absolute inputs, outputs
and environment). The runner writes every output under a temporary name in its final folder and renames
it into place only when the job succeeded, so a failed or killed job leaves no half-written output under
a real name. It appends to ``log.txt`` (the executor points stdout/stderr there) and ends by writing
``result.json`` (always) and, on failure, ``error.json`` with the message and traceback — the daemon
reads them, registers the outputs and sets the job's state. A job tells its progress through
``$NORA_JOB_DIR/progress.json`` (:mod:`nora.core.progress`). Exit status: 0 done, 1 failed, 124 timed out,
143 killed.

This module imports only the standard library (and the stdlib-only ``nora.core.atomic``) at start, and of
the standard library only what every job needs (``shutil``, ``traceback`` and the job catalog are
imported where used), so starting a job costs little.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

from nora.core.atomic import TMP_PREFIX, promote
from nora.core.atomic import atomic_write_json as write_json
from nora.core.fsync import fsync_path
from nora.core.progress import JOB_DIR_ENV

EXIT_FAILED, EXIT_TIMEOUT, EXIT_KILLED = 1, 124, 143


class JobFailed(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class _Killed(BaseException):
    pass


def _line(message: str) -> str:
    return f"[nora {time.strftime('%Y-%m-%d %H:%M:%S')}] {message}"


def _print(text: str) -> None:
    print(text, flush=True)


#: a job's record files and their contents, in the order they are written (``result.json`` last)
Records = list[tuple[str, "dict[str, Any]"]]


class Runner:
    """Runs one job in its folder; ``write`` takes the lines of its log (stdout by default, which the
    executor points at ``log.txt``; the fork server passes the job's log when it starts a script itself)."""

    def __init__(self, job_dir: Path, write: Callable[[str], None] = _print) -> None:
        self.dir = job_dir
        self.write = write
        self.child: subprocess.Popen[bytes] | None = None
        self.staged: list[tuple[Path, Path, dict[str, Any]]] = []  # (temporary, final, output)

    def say(self, message: str) -> None:
        self.write(_line(message))

    # ----------------------------------------------------------------------------------------- lifecycle

    def run(self) -> int:
        started = time.time()
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGINT, self._on_term)
        try:
            spec = self._spec()
            self.say(self.header(spec, os.getpid()))
            values = self._stage_outputs(spec)
            self._execute(spec, values)
            records = self.succeeded(started)
        except _Killed:
            records = self.failed("the job was killed", EXIT_KILLED, started)
        except JobFailed as exc:
            records = self.failed(str(exc), exc.exit_code, started)
        except Exception as exc:  # a built-in job's error: reported with its traceback
            import traceback

            records = self.failed(f"{type(exc).__name__}: {exc}", EXIT_FAILED, started, traceback.format_exc())
        for name, data in records:
            write_json(self.dir / name, data)
        return int(records[-1][1]["exit_code"])

    @staticmethod
    def header(spec: dict[str, Any], pid: int) -> str:
        return f"job {spec.get('job_id')} ({spec.get('job')}) on {os.uname().nodename}, pid {pid}"

    def succeeded(self, started: float) -> Records:
        """Commit the staged outputs (:class:`JobFailed` when one is missing); the records of a job done."""
        outputs = self._commit_outputs()
        self.say(f"done in {time.time() - started:.1f} s")
        return [("result.json", {"status": "done", "exit_code": 0, "outputs": outputs})]

    def _on_term(self, signum: int, _frame: FrameType | None) -> None:
        self._stop_child()
        raise _Killed()

    def failed(self, message: str, code: int, started: float, trace: str = "") -> Records:
        """Stop the script, drop the staged outputs; the records of a failed job (``error.json``, ``result.json``)."""
        import shutil

        self._stop_child()
        for tmp, _final, _out in self.staged:
            shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
        self.staged = []
        self.say(f"FAILED after {time.time() - started:.1f} s: {message}")
        if trace:
            self.write(trace)
        record = {
            "status": "error",
            "exit_code": code,
            "message": message,
            "traceback": trace,
            "host": os.uname().nodename,
            "log": str(self.dir / "log.txt"),
        }
        return [("error.json", record), ("result.json", {"status": "error", "exit_code": code, "message": message})]

    def _spec(self) -> dict[str, Any]:
        try:
            spec = json.loads((self.dir / "spec.json").read_text())
        except (OSError, ValueError) as exc:
            raise JobFailed(f"cannot read the job spec {self.dir / 'spec.json'}: {exc}") from None
        if not isinstance(spec, dict) or "job" not in spec or not isinstance(spec.get("values", {}), dict):
            raise JobFailed(f"malformed job spec {self.dir / 'spec.json'}: needs 'job' and 'values'")
        return spec

    # ------------------------------------------------------------------------------------------- outputs

    def _stage_outputs(self, spec: dict[str, Any]) -> dict[str, Any]:
        values = dict(spec.get("values", {}))
        for out in spec.get("outputs", []):
            final = Path(out["path"])
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = final.parent / f"{TMP_PREFIX}{os.urandom(6).hex()}-{final.name}"
            if out.get("kind") == "dir":
                tmp.mkdir()
            self.staged.append((tmp, final, out))
            values[out["name"]] = str(tmp)
        return values

    def _commit_outputs(self) -> list[dict[str, Any]]:
        for tmp, _final, out in self.staged:
            if not tmp.exists() or (tmp.is_file() and out.get("kind") == "dir"):
                raise JobFailed(f"the job did not write its output {out['name']} ({out['path']})")
        done = []
        for tmp, final, out in self.staged:
            if tmp.is_dir():
                import shutil

                final.mkdir(parents=True, exist_ok=True)
                for item in sorted(tmp.rglob("*")):
                    target = final / item.relative_to(tmp)
                    if item.is_dir():
                        target.mkdir(parents=True, exist_ok=True)
                    else:
                        os.replace(item, target)
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                fsync_path(tmp)  # the job wrote it: make it durable before it takes the real name
                promote(tmp, final)
            done.append(
                {"name": out["name"], "path": str(final), "kind": out.get("kind", "file"), "tags": out.get("tags", [])}
            )
        self.staged = []
        return done

    # ------------------------------------------------------------------------------------------ executing

    def _execute(self, spec: dict[str, Any], values: dict[str, Any]) -> None:
        timeout = float(spec.get("timeout_s") or 0) or None
        job = spec["job"]
        if job in ("bash", "python"):
            self._script(spec, values, timeout)
        else:
            self._builtin(job, values, timeout)

    def _builtin(self, job: str, values: dict[str, Any], timeout: float | None) -> None:
        if sys.flags.no_site:  # started lean (runner_command): the catalog needs the installed packages
            import site

            site.main()
        from nora.processing.catalog import CATALOG

        os.environ[JOB_DIR_ENV] = str(self.dir)  # where its progress goes (nora.core.progress.job_progress)
        if job not in CATALOG:
            raise JobFailed(f"unknown built-in job {job!r}")

        def _timeout(_signum: int, _frame: FrameType | None) -> None:
            raise JobFailed(f"timed out after {timeout:g} s", EXIT_TIMEOUT)

        if timeout:
            signal.signal(signal.SIGALRM, _timeout)
            signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            CATALOG[job].run(values)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def script_command(self, spec: dict[str, Any], values: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
        """Write the job's script into its folder; the command line and environment that run it."""
        env = {**os.environ, **{k: str(v) for k, v in spec.get("env", {}).items()}, JOB_DIR_ENV: str(self.dir)}
        for name, value in values.items():
            env[name] = " ".join(map(str, value)) if isinstance(value, list) else _text(value)
        positional = [env[name] for name in spec.get("order", []) if name in env]
        if spec["job"] == "bash":
            script = self.dir / "script.sh"
            script.write_text(spec.get("script", ""))
            return ["bash", str(script), *positional], env
        script = self.dir / "script.py"
        script.write_text(substitute_python(spec.get("script", ""), values))
        return [sys.executable, str(script), *positional], env

    def _script(self, spec: dict[str, Any], values: dict[str, Any], timeout: float | None) -> None:
        argv, env = self.script_command(spec, values)
        self.child = subprocess.Popen(argv, env=env, cwd=self.dir, start_new_session=True)
        try:
            code = self.child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise JobFailed(f"timed out after {timeout:g} s", EXIT_TIMEOUT) from None
        finally:
            self._stop_child()
        if code != 0:
            raise JobFailed(script_failure(spec["job"], code), EXIT_FAILED)

    def _stop_child(self) -> None:
        child, self.child = self.child, None
        if child is None or child.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(child.pid, sig)
            except ProcessLookupError:
                return
            try:
                child.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


def script_failure(job: str, code: int) -> str:
    """The message of a script that exited with ``code`` (negative: killed by that signal)."""
    return f"the {job} script exited with status {code} (see the log above)"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def substitute_python(script: str, values: dict[str, Any]) -> str:
    """Replace ``$f1``, ``${o2}`` ... in a Python script by Python literals of their values."""
    from nora.processing.scriptrefs import substitute

    return substitute(script, lambda name: repr(values[name]) if name in values else None)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_dir():
        print("usage: python -m nora.processing.runner JOBDIR", file=sys.stderr)
        return 2
    return Runner(Path(args[0]).resolve()).run()


if __name__ == "__main__":
    sys.exit(main())
