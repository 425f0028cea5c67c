from __future__ import annotations

from typing import Any

import pytest

from receiver.models import Account, AccountStatus, AccountType, Address

from .helpers import fixture, fixture_bytes


def test_account_fields_have_python_names() -> None:
    account = Account.from_json(fixture_bytes("account"))

    assert account.type == AccountType.CLIENT
    assert account.status == AccountStatus.ENABLED
    assert account.external_id == "WW-1001111"
    assert account.service_level == "Express"
    assert account.technical_support_email == "jane@doe.com"
    assert isinstance(account.address, Address)
    assert account.address.post_code == "12345"
    assert account.eligibility is not None
    assert account.eligibility.client is True


def test_set_error_adds_an_error_and_nothing_else() -> None:
    before = fixture("account")

    after = Account.from_dict(before).set_error("ACME01", "Not served.").to_dict()

    assert after == {**before, "error": {"id": "ACME01", "message": "Not served."}}


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        pytest.param({"error": {"message": "x"}}, {"error": None}, id="present"),
        pytest.param({}, {}, id="absent"),
    ],
)
def test_clear_errors(wire: dict[str, Any], expected: dict[str, Any]) -> None:
    account = Account.from_dict({"id": "ACC-1", **wire})

    assert account.clear_errors().to_dict() == {"id": "ACC-1", **expected}


def test_pyra_tenant_id() -> None:
    account = Account.from_dict({"id": "ACC-1", "externalIds": {"pyraTenantId": "T-1"}})

    assert account.external_ids is not None
    assert account.external_ids.pyra_tenant_id == "T-1"
