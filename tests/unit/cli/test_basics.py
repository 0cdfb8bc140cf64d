"""Entry point, dispatch, init, errors and exit codes of ``nora``."""

from __future__ import annotations

import pytest

from nora.cli import flags
from nora.cli.main import EXIT_CODES, exit_code
from nora.core import errors
from tests.unit.cli.conftest import PROJECT, Cli


def test_help_lists_nora_options(cli: Cli) -> None:
    out = cli.ok("--help").out
    for option in (
        "--project", "--projectlist", "--createproject", "--add", "--del", "--del_pat", "--select", "--json",
        "--byfilename", "--out", "--pathout", "--addtag", "--rmtag", "--addtag_study", "--addtag_patient",
        "--tagstats", "--sql", "--csv", "--exportmeta", "--keys", "--admin",
    ):  # fmt: skip
        assert option in out
    assert cli.ok().out == out  # plain `nora` prints the help too


def test_init_prints_the_password_once_and_is_idempotent(cli: Cli) -> None:
    first = cli.ok("init", "--admin", "boss")
    assert "boss" in first.out and "password:" in first.out
    password = first.out.split("password:")[1].split()[0]
    assert len(password) >= 12
    again = cli.ok("init")
    assert password not in again.out and "password:" not in again.out
    users = cli.ok("--admin", "users").json()
    assert [(u["username"], u["is_admin"]) for u in users] == [("boss", True)]
    assert (cli.home / "projects").is_dir()


def test_console_script_runs_init_and_reports_errors(cli: Cli) -> None:
    before = cli.subprocess("--projectlist")
    assert before.returncode == 1 and "nora: error: " in before.stderr and "nora init" in before.stderr
    done = cli.subprocess("init")
    assert done.returncode == 0 and "password:" in done.stdout
    listed = cli.subprocess("--projectlist")
    assert listed.returncode == 0 and listed.stdout.strip() == "[]"
    wrong = cli.subprocess("-p", "NOPE", "-s", "*")
    assert wrong.returncode == 3 and wrong.stderr.startswith("nora: error: project 'NOPE'")
    assert "Traceback" not in wrong.stderr


def test_project_comes_from_option_or_environment(project: Cli) -> None:
    missing = project("-s", "*")
    assert missing.code == 2 and "NORA_PROJECT" in missing.err
    project.monkeypatch.setenv("NORA_PROJECT", PROJECT)
    assert len(project.ok("-s", "*").lines) == 3


def test_createproject_modules_and_conflicts(cli: Cli) -> None:
    cli.ok("init")
    made = cli.ok("--createproject", "Study_A", "DEFAULT").json()
    assert made["name"] == "Study_A" and (cli.home / "projects" / "Study_A").is_dir()
    bids = cli("--createproject", "Other", "BIDS")
    assert bids.code == 2 and "DEFAULT" in bids.err
    assert cli("--createproject", "study_a").code == 5
    assert cli("--createproject", "../evil").code == 2
    assert [p["name"] for p in cli.ok("--projectlist").json()] == ["Study_A"]


def test_usage_errors_exit_2_with_a_message(project: Cli) -> None:
    for args, expected in [
        (["-p", PROJECT, "--projectlist", "--tagstats"], "choose one action"),
        (["-p", PROJECT, "--json"], "nothing to do"),
        (["-p", PROJECT, "--tagstats", "--csv"], "--csv works only with --sql"),
        (["-p", PROJECT, "--bogus"], "unrecognized arguments"),
        (["-p", PROJECT, "--rmtag", "x", "--tagstats"], "--rmtag works only with"),
    ]:
        result = project(*args)
        assert result.code == 2, args
        assert result.err.startswith("nora: error: ") and expected in result.err, result.err
        assert result.out == ""


def test_malformed_selector_exits_2_and_says_why(project: Cli) -> None:
    for subject, files in [("*", '"unterminated'), ("PAT1#", "*"), ("*", "NTH(0)"), ("*", "/etc/passwd x")]:
        result = project("-p", PROJECT, "-s", subject, files)
        assert result.code == 2, (subject, files)
        assert result.err.startswith("nora: error: ") and len(result.err) > 30


def test_exit_codes_are_mapped_in_one_place() -> None:
    assert exit_code(errors.InvalidInput("x")) == 2 == exit_code(errors.TooLarge("x"))
    assert exit_code(errors.NotFound("x")) == 3
    assert exit_code(errors.Forbidden("x")) == 4 == exit_code(errors.NotAuthenticated("x"))
    assert exit_code(errors.Conflict("x")) == 5
    assert exit_code(errors.Unavailable("x")) == 6
    assert exit_code(errors.NoraError("x")) == 1 == exit_code(errors.ServerFault("x"))
    assert errors.NoraError in EXIT_CODES  # by class; every subclass: tests/unit/core/test_errors.py


def test_unexpected_errors_exit_70_and_show_the_traceback_only_with_debug(
    project: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_args: object) -> str:
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(flags.ACTIONS, "tagstats", boom)
    plain = project("-p", PROJECT, "--tagstats")
    assert plain.code == 70 and "disk on fire" in plain.err and "Traceback" not in plain.err
    debug = project("--debug", "-p", PROJECT, "--tagstats")
    assert debug.code == 70 and "Traceback" in debug.err


def test_demo_builds_the_demo_project_with_progress(cli: Cli) -> None:
    result = cli.ok("demo")
    assert "password:" in result.out and "DEMO" in result.out
    assert "demo [1/" in result.err
    listed = {p["name"]: p for p in cli.ok("--projectlist").json()}
    assert listed["DEMO"]["n_studies"] >= 4
    assert any(line.endswith(".nii") for line in cli.ok("-p", "DEMO", "-s", "*").lines)
    # the demo's annotations: an ROI with its sidecar and a marker set, not saved again on a refill
    assert cli.ok("-p", "DEMO", "-s", "SUBJ002#20230611", "ROIS/*").lines[-1].endswith("ROIS/bright_tissue.nii.gz")
    assert cli.ok("-p", "DEMO", "-s", "MNI001", "annotations/*.json").lines[0].endswith("annotations/landmarks.json")
    stats = cli.ok("-p", "DEMO", "--roistats", "SUBJ002#20230611", "ROIS/*.nii.gz", "t1_mprage/*.nii").json()
    assert stats[0]["voxels"] > 1000 and stats[0]["volume_ml"] > 1
    # the demo's patchwork model, trained once (a refill leaves it)
    assert "patchwork model models/mni_tissue ready" in result.out and "demo model: epoch 3" in result.out
    refill = cli.ok("demo")
    assert "demo model: epoch" not in refill.out
    versions = cli.ok("-p", "DEMO", "--sql", "SELECT count(*) AS n FROM annotation_versions").json()
    assert versions == [{"n": 2}]
    models = cli.ok("-p", "DEMO", "--sql", "SELECT folder, version FROM segmentation_models").json()
    assert models == [{"folder": "models/mni_tissue", "version": 3}]


def test_admin_help_and_global_options_before_subcommands(cli: Cli) -> None:
    assert "adduser" in cli.ok("--admin").out
    assert "token" in cli.ok("admin", "--help").out
    cli.ok("--debug", "--user", "init", "init")  # a user named like a subcommand does not confuse dispatch
    assert cli("--admin", "frobnicate").code == 2
    assert cli("--admin", "users", "--projectlist").code == 2
