from __future__ import annotations

import pytest

from receiver.errors import ParameterNotFoundError
from receiver.models import ApplicableTo, Enrollment, EnrollmentStatus, EnrollmentType

from .helpers import fixture, fixture_bytes


def test_enrollment_fields() -> None:
    enrollment = Enrollment.from_json(fixture_bytes("enrollment"))

    assert enrollment.type == EnrollmentType.NEW
    assert enrollment.status == EnrollmentStatus.QUERYING
    assert enrollment.applicable_to == ApplicableTo.BUYER
    assert enrollment.program is not None
    assert enrollment.program.id == "PRG-1234-1234"


def test_refusing_a_parameter() -> None:
    enrollment = Enrollment.from_json(fixture_bytes("enrollment"))

    enrollment.parameter("partner_id").set_error("MS001", "Unknown partner number.")

    parameter = enrollment.to_dict()["parameters"]["ordering"][0]
    assert parameter["error"] == {"id": "MS001", "message": "Unknown partner number."}
    assert parameter["constraints"] == {"hidden": False, "required": True, "readonly": False}


def test_missing_parameter() -> None:
    enrollment = Enrollment.from_json(fixture_bytes("enrollment"))

    with pytest.raises(ParameterNotFoundError, match="'partner_id'"):
        enrollment.parameter("partnerId")
    assert enrollment.find_parameter("partnerId") is None
    assert enrollment.find_parameter("partner_id") is enrollment.parameter("partner_id")


def test_set_error_then_clear_errors() -> None:
    body = fixture("enrollment")
    enrollment = Enrollment.from_dict(body).set_error("E1", "Program closed.")
    enrollment.parameter("partner_id").set_error("E2", "Unknown.")

    after = enrollment.clear_errors().to_dict()

    assert after["error"] is None
    assert after["parameters"]["ordering"][0]["error"] is None
    assert after["parameters"]["ordering"][0]["value"] == "1234567"
