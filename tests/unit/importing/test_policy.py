"""The import policy: made once per import from the project's settings and the options, frozen, validated."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from nora.core.errors import InvalidInput
from nora.importing.policy import ImportOptions, ImportPolicy


def _policy(tmp_path: Path, settings: dict[str, object], options: ImportOptions = ImportOptions()) -> ImportPolicy:
    return ImportPolicy.for_project("P", 1, settings, options, home=tmp_path)


def test_the_policy_takes_the_projects_rules_and_the_options_override_keeping_originals(tmp_path: Path) -> None:
    plain = _policy(tmp_path, {})
    assert (plain.anonymised, plain.keep_originals, plain.secret) == (False, True, b"")
    assert plain.template == "{series_description}/s{series_number:03d}"
    assert not _policy(tmp_path, {"keep_originals": False}).keep_originals
    assert _policy(tmp_path, {"keep_originals": False}, ImportOptions(keep_originals=True)).keep_originals
    anonymised = _policy(tmp_path, {"anonymised": True, "naming": "{modality}/{series_number}"})
    assert anonymised.anonymised and len(anonymised.secret) >= 16
    assert anonymised.template == "{modality}/{series_number}"
    assert anonymised.patient_folder("John") == anonymised.patient_folder("John") != "John"
    deid = anonymised.pseudonym_for("P0123")
    assert deid is not None and deid.pseudonym == "P0123" and plain.pseudonym_for("P0123") is None
    assert repr(anonymised.secret) not in repr(anonymised)  # the secret never shows in logs


def test_the_policy_is_frozen(tmp_path: Path) -> None:
    policy = _policy(tmp_path, {})
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.keep_originals = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.options.patients_id = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("options", "settings", "message"),
    [
        (ImportOptions(patients_id="a/b"), {}, "invalid --patients_id"),
        (ImportOptions(pattern="(no group)"), {}, "needs a named group"),
        (ImportOptions(pattern="(?<patients_id>["), {}, "invalid --pattern"),
        (ImportOptions(extrafiles_filter=("../nii",)), {}, "--extrafiles_filter"),
        (ImportOptions(addtag_study=("bad tag!",)), {}, "tag"),
        (ImportOptions(), {"naming": "{no_such_field}"}, "no_such_field"),
    ],
)
def test_a_bad_option_or_naming_rule_is_refused_when_the_policy_is_made(
    tmp_path: Path, options: ImportOptions, settings: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        _policy(tmp_path, settings, options)


def test_an_anonymised_policy_needs_its_secret_and_the_pattern_is_compiled_once(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="secret"):
        ImportPolicy("A", 2, ImportOptions(), anonymised=True, keep_originals=True, template="{modality}")
    policy = _policy(tmp_path, {}, ImportOptions(pattern=r"/(?<patients_id>sub-\w+)/(?<studies_id>ses-\w+)/"))
    assert policy.pattern is not None
    assert policy.groups(Path("/data/sub-01/ses-2/x.dcm")) == {"patients_id": "sub-01", "studies_id": "ses-2"}
    assert policy.explicit_patient(Path("/data/sub-01/ses-2/x.dcm")) == "sub-01"
    assert policy.explicit_patient(Path("/elsewhere/x.dcm")) is None
