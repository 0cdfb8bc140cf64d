"""The processing CLI (--launch, --launchfile, --throwerror, --handle_job_result, --launch_autoexec,
nora daemon) and autoexecution rules, on the local executor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nora.archive.services import accounts
from nora.archive.services.access import SYSTEM, Actor, project_access
from nora.cli.main import main
from nora.core.errors import Forbidden, InvalidInput, NotFound
from nora.core.ids import Psid
from nora.processing.autoexec import run_autoexec, set_rules
from nora.processing.service import LaunchRequest, launch, save_batch
from tests.unit.processing.conftest import PROJECT, World

COPY = {
    "name": "copy",
    "jobs": [
        {
            "job": "bash",
            "script": 'cp "$f1" "$o1"',
            "args": [
                {"name": "f1", "type": "FILE", "value": "t1_mprage/*.nii"},
                {"name": "o1", "type": "OUT", "value": "copies/t1.nii TAG(copy)"},
            ],
        }
    ],
}

#: a study reference of two terms: as ``S01#LATEST *`` it used to select every patient's files too
LATEST_ANY = {
    "level": "subject",
    "jobs": [
        {
            "job": "bash",
            "script": "cat $f1",
            "args": [{"name": "f1", "type": "FILE", "value": "t1_mprage/*.nii", "ref": "LATEST *"}],
        }
    ],
}


@pytest.fixture
def cli(local_world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NORA_HOME", str(local_world.home))
    monkeypatch.setenv("NORA_DATABASE_URL", local_world.config.database_url)
    monkeypatch.setenv("NORA_POLL_INTERVAL_S", "0.2")
    monkeypatch.setenv("NORA_PROJECT", PROJECT)
    monkeypatch.delenv("NORA_USER", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_launch_with_handle_job_result_runs_and_registers(cli, local_world: World) -> None:  # type: ignore[no-untyped-def]
    payload = json.dumps({"batch": COPY, "rows": ["S01#MR1", "S02#MR1"]})
    code, out, err = cli("--user", "researcher", "--launch", payload, "--handle_job_result")
    assert code == 0, err
    result = json.loads(out)
    assert [j["state"] for j in result["jobs"]] == ["d", "d"]
    code, out, _ = cli("-s", "*", "copies/*", "--json")
    assert code == 0 and sorted(f["psid"] for f in json.loads(out)) == ["S01#MR1", "S02#MR1"]


def test_launchfile_throwerror_fails_with_the_reason(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "launch.json"
    spec.write_text(json.dumps({"batch": {"jobs": [{"job": "bash", "script": "echo bad; exit 4"}]}, "select": "S01"}))
    code, out, err = cli("--launchfile", str(spec), "--throwerror")
    assert code == 1 and "1 of 1 jobs failed" in err and "status 4" in err
    assert json.loads(out)["jobs"][0]["state"] == "e"


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--launch", "{not json"], "not valid JSON"),
        (["--launch", '{"batch": {"jobs": []}, "rows": ["S01#MR1"]}'], "invalid batch"),
        (["--launch", '{"batch": {}, "rows": "S01"}'], "'rows' must be a list"),
        (["--launch", '{"bogus": 1}'], "unknown key"),
        (["--launchfile", "/nonexistent/launch.json"], "cannot read"),
        (["--throwerror", "--projectlist"], "--throwerror works only with"),
        (["--launch_autoexec", "S01"], "needs PID#SID"),
        (["--launch_autoexec", "S01#"], "is not 'PID' or 'PID#SID'"),
        (["--launch", json.dumps({"batch": LATEST_ANY, "rows": ["S01"]})], "study reference 'LATEST *': 2 terms"),
        (["--launch", json.dumps({"batch": COPY, "rows": ["S01#MR1#x"]})], "is not 'PID' or 'PID#SID'"),
    ],
)
def test_bad_cli_input_is_an_error(cli, args: list[str], fragment: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli(*args)
    assert code == 2 and fragment in err and out == ""


def test_autoexecution_runs_once_per_study_and_the_daemon_runs_it(cli, local_world: World) -> None:  # type: ignore[no-untyped-def]
    world = local_world
    with world.sessions() as s:
        access = project_access(s, SYSTEM, PROJECT)
        researcher = Actor.of(accounts.get_user(s, "researcher"))  # documents are written by users, never SYSTEM
        save_batch(s, project_access(s, researcher, PROJECT), "copy", COPY, shared=True)
        with pytest.raises(NotFound, match="no saved batch 'missing'"):
            set_rules(s, access, [{"name": "r", "batch": "missing"}])
        with pytest.raises(InvalidInput):
            set_rules(s, access, [{"name": "r", "batch": "copy", "filter": "a & & b"}])
        set_rules(
            s,
            access,
            [
                {"name": "t1copy", "filter": "t1_mprage*", "batch": "copy"},
                {"name": "never", "filter": "flair*", "batch": "copy"},
            ],
        )
        s.commit()
    with world.sessions() as s:
        assert len(run_autoexec(s, SYSTEM, world.layout, world.config, PROJECT, Psid("S01", "MR1"))) == 1
        s.commit()
    code, out, err = cli("--launch_autoexec", "S01#MR1")
    assert code == 0 and json.loads(out) == [], "a rule runs once per study"
    code, out, err = cli("--launch_autoexec", "S02#MR1")
    assert code == 0 and len(json.loads(out)) == 1
    for _ in range(100):
        code, out, err = cli("daemon", "--once")
        assert code == 0, err
        state = json.loads(out)
        if state["active"] == 0 and state["queued"] == 0:
            break
    code, out, _ = cli("-s", "*", "copies/*")
    assert code == 0 and len(out.splitlines()) == 2


def test_restricted_queue_needs_its_right(local_world: World) -> None:
    world = local_world
    with world.sessions() as s:
        with pytest.raises(Forbidden, match="QUEUE_gpu"):
            launch(
                s,
                world.access(s),
                world.layout,
                world.config,
                LaunchRequest(batch=COPY, rows=[Psid("S01", "MR1")], queue="gpu"),
            )
        from nora.archive.services import rights

        rights.grant(s, SYSTEM, "researcher", "QUEUE_gpu", rights.RightSpec())
        assert (
            launch(
                s,
                world.access(s),
                world.layout,
                world.config,
                LaunchRequest(batch=COPY, rows=[Psid("S01", "MR1")], queue="gpu"),
            ).queue
            == "gpu"
        )
