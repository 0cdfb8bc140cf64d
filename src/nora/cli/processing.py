"""Processing on the command line: ``--launch JSON``, ``--launchfile FILE`` (with ``--throwerror`` and
``--handle_job_result``), ``--launch_autoexec PSID``, and the ``nora daemon`` subcommand.

``--launch`` queues a batch for the daemon and prints its id and jobs. With ``--handle_job_result`` the
command runs the batch itself (same engine as the daemon, safe beside it) and handles the results
(registers outputs, tags) before it prints the final states; ``--throwerror`` does the same and exits
with status 1 when a job failed. The payload: ``{"batch": {...} | "batch_name": NAME, "rows": ["PID#SID",
...] | "select": SELECTOR, "queue": QUEUE, "project": NAME}``.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import Job
from nora.archive.services.access import Actor, project_access
from nora.cli.context import Context, NoraParser, as_json, common_options, note, project_name, write
from nora.core.errors import InvalidInput, NoraError
from nora.core.ids import Psid
from nora.core.settings import Settings
from nora.processing.autoexec import run_autoexec
from nora.processing.config import ProcessingSettings
from nora.processing.daemon import run_loop
from nora.processing.engine import Engine, TickReport
from nora.processing.service import LaunchRequest, launch

_KEYS = {"batch", "batch_name", "rows", "select", "queue", "project"}


def _payload(text: str, source: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"{source} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{source} must be a JSON object with 'batch' or 'batch_name' and 'rows' or 'select'")
    unknown = set(data) - _KEYS
    if unknown:
        raise InvalidInput(f"{source}: unknown key(s) {', '.join(sorted(unknown))}; use {', '.join(sorted(_KEYS))}")
    rows = data.get("rows", [])
    if not isinstance(rows, list) or not all(isinstance(r, str) for r in rows):
        raise InvalidInput(f"{source}: 'rows' must be a list of 'PID#SID' or 'PID' strings")
    return data


def launch_batch(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    if args.launchfile:
        try:
            text = Path(args.launchfile).read_text()
        except OSError as exc:
            raise InvalidInput(f"cannot read {args.launchfile}: {exc.strerror}") from None
        data = _payload(text, args.launchfile)
    else:
        data = _payload(args.launch, "--launch")
    config = ProcessingSettings.of(ctx.settings)
    access = project_access(session, actor, project_name(data.get("project") or args.project, ctx.settings))
    request = LaunchRequest(
        batch=data.get("batch"),
        batch_name=str(data.get("batch_name") or ""),
        rows=[Psid.parse(r) for r in data.get("rows", [])],
        select=str(data.get("select") or ""),
        queue=data.get("queue"),
    )
    batch = launch(session, access, ctx.layout, config, request)
    session.commit()
    if args.throwerror or args.handle_job_result:
        _run_until_done(ctx, config, batch.id)
    session.expire_all()
    jobs = list(session.scalars(select(Job).where(Job.batch_id == batch.id).order_by(Job.chain, Job.step)))
    summary = {
        "batch_id": batch.id,
        "queue": batch.queue,
        "executor": batch.executor,
        "jobs": [
            {"id": j.id, "psid": j.spec.get("psid", ""), "name": j.name, "state": j.state, "message": j.message}
            for j in jobs
        ],
    }
    failed = [j for j in jobs if j.state == "e"]
    if args.throwerror and failed:
        write(as_json(summary))
        raise NoraError(f"{len(failed)} of {len(jobs)} jobs failed; first: job {failed[0].id}: {failed[0].message}")
    return as_json(summary)


def _run_until_done(ctx: Context, config: ProcessingSettings, batch_id: int) -> None:
    engine = Engine(ctx.sessions, config, [batch_id])
    engine.recover()
    bar = _Progress()
    while True:
        report = engine.tick()
        bar.update(report)
        if report.active == 0 and report.queued == 0:
            bar.close()
            return
        time.sleep(min(config.poll_interval_s, 0.5))


class _Progress:
    """A tqdm bar on a terminal, a line per change otherwise."""

    def __init__(self) -> None:
        self.done = 0
        self.bar: Any = None
        self.last = ""
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(desc="jobs", unit="job", file=sys.stderr)

    def update(self, report: TickReport) -> None:
        self.done += report.finished + report.skipped
        text = f"{self.done} finished, {report.active} running, {report.queued} queued"
        if self.bar is not None:
            self.bar.total = self.done + report.active + report.queued
            self.bar.n = self.done
            self.bar.set_postfix_str(text)
        elif text != self.last:
            note(text)
        self.last = text

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def launch_autoexec(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    config = ProcessingSettings.of(ctx.settings)
    name = project_name(args.project, ctx.settings)
    psid = Psid.parse(args.launch_autoexec)
    if psid.sid is None:
        raise InvalidInput(f"--launch_autoexec needs PID#SID, not {args.launch_autoexec!r}")
    batches = run_autoexec(session, actor, ctx.layout, config, name, psid)
    return as_json([{"batch_id": b.id, "name": b.name, "origin": b.origin} for b in batches])


def run_daemon(argv: list[str], settings: Settings) -> int:
    """``nora daemon``: dispatch and poll jobs until interrupted (SIGTERM/SIGINT)."""
    parser = NoraParser(
        prog="nora daemon",
        description="Run the job daemon: dispatch queued jobs to the executor and record their states.",
        parents=[common_options()],
    )
    parser.add_argument("--once", action="store_true", help="one round (recover, dispatch, poll), then exit")
    args = parser.parse_args(argv)
    config = ProcessingSettings.of(settings)
    stop = threading.Event()
    with Context.open(settings) as ctx:
        ctx.require_initialised()
        engine = Engine(ctx.sessions, config)
        if args.once:
            engine.recover()
            write(as_json(engine.tick().__dict__))
            return 0
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        note(f"daemon: executor {config.executor}, polling every {config.poll_interval_s:g} s (Ctrl-C stops)")
        last = [""]

        def report(r: TickReport) -> None:
            text = f"{r.active} active, {r.queued} queued"
            if r.submitted or r.finished or r.skipped or text != last[0]:
                note(f"daemon: +{r.submitted} submitted, {r.finished} finished, {text}")
                last[0] = text

        run_loop(ctx.sessions, config, stop, on_tick=report, engine=engine)
    return 0
