"""The Slurm executor: one ``sbatch`` job array per step of a batch, chained with ``aftercorr``.

Array task ``i`` is the batch's subject ``i``; step ``k+1`` depends on step ``k`` task by task
(``--dependency=aftercorr:ID --kill-on-invalid-dep=yes``), so a subject's jobs run one after another
while the subjects run in parallel, and a failed job cancels the rest of its subject's chain. The NORA
queue maps to a partition plus extra ``sbatch`` parameters (:class:`~nora.processing.config.QueueSpec`).
States come from ``squeue -t all`` (which keeps finished jobs for Slurm's MinJobAge), then ``sacct``
where accounting is enabled; the engine polls often enough to record the final state first. A job Slurm
no longer knows that left no result is lost (its node failed, or it never started).
"""

from __future__ import annotations

import hashlib
import logging
import math
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from nora.core.errors import ServerFault
from nora.processing.config import ProcessingSettings
from nora.processing.executors.base import Executor, Poll, Submission, runner_command

log = logging.getLogger(__name__)

PENDING = {"PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "SUSPENDED"}
RUNNING = {"RUNNING", "COMPLETING", "STAGE_OUT", "SIGNALING", "RESIZING", "STOPPED"}
REASONS = {
    "TIMEOUT": "Slurm stopped the job at its time limit",
    "NODE_FAIL": "the job's node failed",
    "CANCELLED": "the job was cancelled",
    "OUT_OF_MEMORY": "the job ran out of memory",
    "PREEMPTED": "the job was preempted",
    "BOOT_FAIL": "the job's node failed to boot",
    "DEADLINE": "the job missed its deadline",
    "FAILED": "the job failed",
    "COMPLETED": "the job completed",
}


class SlurmError(ServerFault):
    """sbatch/squeue/scancel failed."""


def _run(argv: list[str], stdin: str | None = None, timeout: float = 60) -> str:
    if shutil.which(argv[0]) is None:
        raise SlurmError(f"{argv[0]} is not installed: the slurm executor needs Slurm's client commands")
    proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise SlurmError(f"{' '.join(argv[:2])} failed ({proc.returncode}): {proc.stderr.strip()[:500]}")
    return proc.stdout


class SlurmExecutor(Executor):
    name = "slurm"
    chains_dependencies = True

    def __init__(self, config: ProcessingSettings) -> None:
        self.queues = config.queues
        self.jobs_root = config.home / "jobs"
        #: tells this installation's jobs apart from others' on a shared cluster
        self.tag = hashlib.sha256(str(config.home).encode()).hexdigest()[:6]

    def capacity(self, active: int) -> int:
        return 100_000  # Slurm queues them

    # --------------------------------------------------------------------------------------------- submit

    def submit(self, jobs: Sequence[Submission]) -> dict[int, str]:
        groups: dict[tuple[int, int, str], list[Submission]] = defaultdict(list)
        for job in jobs:
            groups[(job.batch_id, job.step, job.queue)].append(job)
        out: dict[int, str] = {}
        for (batch, step, queue), group in sorted(groups.items()):
            array = self._submit_array(batch, step, queue, sorted(group, key=lambda j: j.chain))
            out.update({j.job_id: f"{array}_{j.chain}" for j in group})
        return out

    def _submit_array(self, batch: int, step: int, queue: str, group: list[Submission]) -> str:
        cases = "\n".join(f"  {j.chain}) d={_sh(j.job_dir)} ;;" for j in group)
        script = (
            "#!/bin/bash\n"
            f'case "$SLURM_ARRAY_TASK_ID" in\n{cases}\n  *) echo "no job for task $SLURM_ARRAY_TASK_ID"; exit 2 ;;\n'
            "esac\n"
            f'exec {" ".join(_sh(a) for a in runner_command(Path("DIR"))[:-1])} "$d" >> "$d/log.txt" 2>&1\n'
        )
        minutes = max(1, math.ceil(max(j.timeout_s for j in group) / 60) + 1)
        argv = [
            "sbatch",
            "--parsable",
            f"--job-name={job_name(batch, step, self.tag)}",
            f"--array={','.join(str(j.chain) for j in group)}",
            f"--time={minutes}",
            "--output=/dev/null",
            f"--chdir={self.jobs_root}",
            *self.queues[queue].sbatch_args(),
        ]
        afters = sorted({j.after.partition("_")[0] for j in group if j.after})
        if afters:
            argv += [f"--dependency=aftercorr:{':'.join(afters)}", "--kill-on-invalid-dep=yes"]
        self.jobs_root.mkdir(parents=True, exist_ok=True)
        answer = _run(argv, stdin=script).strip()
        return answer.split(";")[0]

    # ------------------------------------------------------------------------------------------------ poll

    def poll(self, external_ids: Sequence[str]) -> dict[str, Poll]:
        arrays = sorted({e.partition("_")[0] for e in external_ids})
        states: dict[str, str] = {}
        for start in range(0, len(arrays), 200):
            chunk = arrays[start : start + 200]
            out = _run(["squeue", "-h", "-r", "-t", "all", "-o", "%i|%T|%r", "-j", ",".join(chunk)])
            for line in out.splitlines():
                jid, _, rest = line.strip().partition("|")
                state, _, reason = rest.partition("|")
                states[jid] = state
                if reason and reason not in ("None", "(null)"):
                    states[jid + "#reason"] = reason
        missing = [e for e in external_ids if e not in states]
        if missing:
            states.update(self._sacct(missing))
        result = {}
        for external in external_ids:
            state = states.get(external, "")
            base = state.split()[0] if state else ""
            if base in PENDING:
                reason = states.get(external + "#reason", "")
                if reason.startswith("DependencyNeverSatisfied"):
                    self.cancel([external])
                    result[external] = Poll("ended", "not run: the previous job of its chain failed")
                else:
                    result[external] = Poll("pending", reason)
            elif base in RUNNING:
                result[external] = Poll("running")
            elif base:
                result[external] = Poll("ended", REASONS.get(base, f"Slurm state {base}"))
            else:
                result[external] = Poll("lost", "Slurm no longer knows the job")
        return result

    def _sacct(self, external_ids: Sequence[str]) -> dict[str, str]:
        if shutil.which("sacct") is None:
            return {}
        try:
            out = _run(["sacct", "-n", "-P", "-X", "-o", "JobID,State", "-j", ",".join(external_ids)], timeout=20)
        except SlurmError:
            return {}  # no accounting storage
        states = {}
        for line in out.splitlines():
            jid, _, state = line.partition("|")
            states[jid.strip()] = state.strip()
        return states

    def cancel(self, external_ids: Sequence[str]) -> None:
        if external_ids:
            try:
                _run(["scancel", *external_ids])
            except SlurmError as exc:
                log.warning("scancel: %s", exc)

    def adopt(self, job: Submission) -> str | None:
        out = _run(["squeue", "-h", "-r", "-t", "all", "-n", job_name(job.batch_id, job.step, self.tag), "-o", "%i"])
        for line in out.splitlines():
            array, _, task = line.strip().partition("_")
            if task == str(job.chain):
                return f"{array}_{task}"
        return None


def job_name(batch: int, step: int, tag: str = "") -> str:
    return f"nora{'-' + tag if tag else ''}-b{batch}-s{step}"


def _sh(value: object) -> str:
    import shlex

    return shlex.quote(str(value))
