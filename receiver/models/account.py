"""The Account a ``ValidateAccount`` webhook would carry (platform.md §2.8; no traffic expected).

The answer is not documented; we follow the other objects: the Account with ``error`` set.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from receiver.models._base import Lenient, LenientItem, WireModel
from receiver.models._object import ErrorObjectModel
from receiver.models.common import Address, Audit, Eligibility, Meta, Reference


class AccountType(StrEnum):
    """Known account types (OAS ``AccountType``)."""

    CLIENT = "Client"
    VENDOR = "Vendor"
    OPERATIONS = "Operations"


class AccountStatus(StrEnum):
    """Known account statuses (OAS ``AccountStatus``)."""

    ACTIVE = "Active"
    ENABLED = "Enabled"
    DISABLED = "Disabled"


class AccountExternalIds(WireModel):
    """``externalIds`` of an account: ``pyraTenantId`` -> ``pyra_tenant_id``."""

    pyra_tenant_id: Lenient[str] = None


class Account(ErrorObjectModel):
    """An account (OAS ``Account``).

    Python names: ``externalId`` -> ``external_id``, ``externalName`` -> ``external_name``,
    ``externalIds`` -> ``external_ids``, ``serviceLevel`` -> ``service_level``,
    ``technicalSupportEmail`` -> ``technical_support_email``, ``defaultLanguageCode`` ->
    ``default_language_code``, ``$meta`` -> ``meta``.

    >>> account = Account.from_dict({"id": "ACC-1671-0642", "type": "Client"})
    >>> account.set_error("ACME01", "Accounts in ST are not served.").to_dict()["error"]
    {'id': 'ACME01', 'message': 'Accounts in ST are not served.'}
    """

    href: Lenient[str] = None
    type: Lenient[str] = None
    status: Lenient[str] = None
    name: Lenient[str] = None
    description: Lenient[str] = None
    external_id: Lenient[str] = None
    external_name: Lenient[str] = None
    external_ids: Lenient[AccountExternalIds] = None
    service_level: Lenient[str] = None
    address: Lenient[Address] = None
    icon: Lenient[str] = None
    website: Lenient[str] = None
    technical_support_email: Lenient[str] = None
    default_language_code: Lenient[str] = None
    eligibility: Lenient[Eligibility] = None
    groups: Lenient[list[LenientItem[Reference]]] = None
    audit: Lenient[Audit] = None
    meta: Lenient[Meta] = Field(None, alias="$meta")
