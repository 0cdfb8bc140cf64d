"""A real single-node Slurm cluster in a temporary folder (munged + slurmctld + slurmd), for the tests.

Debian's ``slurm-wlm`` and ``munge`` (scripts/setup.sh --test installs them). Everything runs as the current
user (root on the test machines) with its own munge key and socket, a slurm.conf in the folder
(``SlurmctldHost=localhost``, ``NodeName=localhost NodeAddr=127.0.0.1``, ``ProctrackType=proctrack/linuxproc``,
``TaskPlugin=task/none``, ``SchedulerParameters=batch_sched_delay=0``) and free ports. Client commands find it
through ``SLURM_CONF``, which :meth:`SlurmCluster.start` sets in this process's environment.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
import time
from pathlib import Path

from tests.support.pgcluster import free_port

PARTITIONS = ("normal", "fast")


def slurm_missing() -> str | None:
    for tool in ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol"):
        if shutil.which(tool) is None:
            return f"{tool} not found: scripts/setup.sh --test installs Debian's slurm-wlm and munge"
    return None


class SlurmCluster:
    def __init__(self, root: Path, cpus: int | None = None) -> None:
        self.root = root
        # config_overrides lets the node declare more CPUs than it has (parallel trivial jobs on 2 cores)
        self.cpus = cpus or max(4, os.cpu_count() or 1)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.conf = root / "slurm.conf"
        self.socket = root / "munge" / "munge.socket"

    def _munge(self) -> None:
        d = self.root / "munge"
        d.mkdir(mode=0o700, parents=True)
        key = d / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        subprocess.run(
            [
                "munged",
                "--force",
                f"--socket={self.socket}",
                f"--key-file={key}",
                f"--pid-file={d / 'munged.pid'}",
                f"--log-file={d / 'munged.log'}",
                f"--seed-file={d / 'munged.seed'}",
            ],
            check=True,
            capture_output=True,
        )

    def _write_conf(self) -> None:
        user = getpass.getuser()
        for sub in ("state", "spool", "log"):
            (self.root / sub).mkdir()
        lines = [
            "ClusterName=noratest",
            "SlurmctldHost=localhost",
            f"SlurmUser={user}",
            f"SlurmdUser={user}",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={self.socket}",
            f"SlurmctldPort={free_port()}",
            f"SlurmdPort={free_port()}",
            f"StateSaveLocation={self.root / 'state'}",
            f"SlurmdSpoolDir={self.root / 'spool'}",
            f"SlurmctldPidFile={self.root / 'slurmctld.pid'}",
            f"SlurmdPidFile={self.root / 'slurmd.pid'}",
            f"SlurmctldLogFile={self.root / 'log' / 'slurmctld.log'}",
            f"SlurmdLogFile={self.root / 'log' / 'slurmd.log'}",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "SwitchType=switch/none",
            "MpiDefault=none",
            "SchedulerType=sched/backfill",
            "SchedulerParameters=batch_sched_delay=0,sched_min_interval=0",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            "ReturnToService=2",
            "JobRequeue=0",
            "SlurmdParameters=config_overrides",
            "MinJobAge=600",
            "KillWait=2",
            "InactiveLimit=0",
            "SlurmctldTimeout=30",
            "SlurmdTimeout=30",
            "MessageTimeout=10",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            "JobAcctGatherType=jobacct_gather/none",
            "SlurmctldDebug=info",
            "SlurmdDebug=info",
            # one (pretend) GPU, so a GPU queue's --gres gpu:1 is scheduled as on a GPU cluster
            "GresTypes=gpu",
            f"NodeName=localhost NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory=2048 Gres=gpu:1 State=UNKNOWN",
        ]
        (self.root / "gres.conf").write_text("NodeName=localhost Name=gpu File=/dev/null Count=1\n")
        for i, name in enumerate(PARTITIONS):
            default = "YES" if i == 0 else "NO"
            lines.append(f"PartitionName={name} Nodes=localhost Default={default} MaxTime=INFINITE State=UP")
        self.conf.write_text("\n".join(lines) + "\n")

    def start(self, timeout: float = 60) -> None:
        self._munge()
        self._write_conf()
        os.environ["SLURM_CONF"] = str(self.conf)
        env = {**os.environ}
        log = open(self.root / "log" / "daemons.out", "ab")  # noqa: SIM115 - closed with the processes
        self.procs.append(
            subprocess.Popen(
                ["slurmctld", "-D", "-c", "-f", str(self.conf)], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        )
        self.procs.append(
            subprocess.Popen(
                ["slurmd", "-D", "-N", "localhost", "-f", str(self.conf)], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True)
            node = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], capture_output=True, text=True)
            if "UP" in ping.stdout and node.stdout.strip().startswith(("idle", "mixed", "alloc")):
                return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"Slurm did not come up; see {self.root / 'log'}")

    def set_node(self, state: str, reason: str = "test") -> None:
        argv = ["scontrol", "update", "NodeName=localhost", f"State={state}"]
        if state.upper() in ("DOWN", "DRAIN"):
            argv.append(f"Reason={reason}")
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0 and state.upper() != "RESUME":  # RESUME fails when the node is back already
            raise RuntimeError(f"scontrol update State={state}: {done.stderr.strip()}")

    def wait_idle(self, timeout: float = 30) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            node = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], capture_output=True, text=True)
            if node.stdout.strip().startswith(("idle", "mixed")):
                return
            time.sleep(0.3)
        raise RuntimeError("the Slurm node did not come back")

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        subprocess.run(["munged", "--stop", f"--socket={self.socket}"], capture_output=True)
        self.procs = []
