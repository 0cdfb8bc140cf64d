"""The naming policy: placeholders, sanitising and refusal of bad templates."""

from __future__ import annotations

import pytest

from nora.core.errors import InvalidInput
from nora.dicom.naming import DEFAULT, check_policy, render


def test_default_is_a_folder_per_series_and_s_number() -> None:
    assert render(DEFAULT, {"series_description": "t1 mprage/sag", "series_number": 3}) == "t1_mprage_sag/s003"
    assert render(DEFAULT, {"series_description": "", "protocol": "ep2d bold", "series_number": 12}) == (
        "ep2d_bold/s012"
    )
    assert render(DEFAULT, {"series_number": None}) == "series/s000"


def test_placeholders_and_hostile_values_stay_inside_the_study() -> None:
    template = "{modality}/{study_date}_{protocol}/s{series_number}"
    values = {"modality": "MR", "study_date": "20240101", "protocol": "../../etc", "series_number": 7}
    assert render(template, values) == "MR/20240101_etc/s7"


@pytest.mark.parametrize("template", ["{patient_name}/s{series_number}", "{series_number:zz}", "../{modality}", "{"])
def test_bad_templates_are_refused_with_a_reason(template: str) -> None:
    with pytest.raises(InvalidInput, match="naming policy"):
        check_policy(template)


def test_uid_names_are_the_uid_or_a_safe_distinct_name() -> None:
    from nora.dicom.naming import is_uid, uid_name

    assert uid_name("1.2.840.10008.1") == "1.2.840.10008.1" and is_uid("1.2.840.10008.1")
    odd = [uid_name(v) for v in ("../../x", "../x", "1.2.x", "a" * 200, "")]
    assert len(set(odd)) == len(odd) and not any(is_uid(v) for v in ("../x", "1..2", "1.2.", "9" * 65))
    assert all("/" not in n and not n.startswith(".") and len(n) <= 53 for n in odd)
