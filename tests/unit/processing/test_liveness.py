"""Process liveness in one function: PID and start time, so a reused PID is not taken for the old process."""

from __future__ import annotations

import os
import subprocess

from nora.core.process import ProcessId, alive, process_alive, start_time


def test_a_live_process_is_alive_only_with_its_own_start_time() -> None:
    me = os.getpid()
    started = start_time(me)
    assert started is not None and alive(me, started)
    # the same PID with another start time: a process that had this PID before (the PID was reused)
    assert not alive(me, str(int(started) - 1))
    assert process_alive(ProcessId.current())


def test_an_ended_process_is_dead_and_other_hosts_are_theirs_to_judge() -> None:
    proc = subprocess.Popen(["sleep", "30"])
    started = start_time(proc.pid)
    assert started is not None and alive(proc.pid, started)
    proc.kill()
    proc.wait()
    assert start_time(proc.pid) is None or start_time(proc.pid) != started
    assert not alive(proc.pid, started)
    assert not alive(0, "0")
    assert process_alive(ProcessId("some-other-host", proc.pid, started))


def test_identity_round_trips_and_garbage_is_refused() -> None:
    me = ProcessId.current()
    assert ProcessId.parse(me.format()) == me
    assert ProcessId.parse("") is None and ProcessId.parse("host notapid 1") is None
