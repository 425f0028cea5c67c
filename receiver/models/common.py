"""Building blocks shared by the object models: references, external ids, addresses, audit.

The platform embeds other objects as short references (``{"id": ..., "name": ...}``) or as full
objects; one lenient :class:`Reference` holds either, with unknown keys kept.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from receiver.models._base import Lenient, LenientItem, WireModel


class ExternalIds(WireModel):
    """Ids in other systems: ``client`` (e.g. a PO number), ``operations``, ``vendor``.

    >>> ExternalIds.from_dict({"vendor": "ACME-PRO-1Y"}).vendor
    'ACME-PRO-1Y'
    """

    client: Lenient[str] = None
    operations: Lenient[str] = None
    vendor: Lenient[str] = None


class PhoneNumber(WireModel):
    """``{prefix, number}``, as in a Contact."""

    prefix: Lenient[str] = None
    number: Lenient[str] = None


class Address(WireModel):
    """A postal address (the shape of an ``Address`` parameter value too)."""

    address_line1: Lenient[str] = Field(None, alias="addressLine1")
    address_line2: Lenient[str] = Field(None, alias="addressLine2")
    post_code: Lenient[str] = None
    city: Lenient[str] = None
    state: Lenient[str] = None
    country: Lenient[str] = None


class Contact(WireModel):
    """A person: ``{firstName, lastName, email, phone}`` (also a ``Contact`` parameter value)."""

    first_name: Lenient[str] = None
    last_name: Lenient[str] = None
    email: Lenient[str] = None
    phone: Lenient[PhoneNumber] = None


class Reference(WireModel):
    """A reference to another platform object, thin (``id``, ``name``) or full.

    Used for ``agreement``, ``product``, ``listing``, line ``item`` and ``subscription``, ...;
    whatever else the platform sends (``licensee``, ``terms``) is kept as unknown keys.

    >>> ref = Reference.from_dict({"id": "PRD-1111-1111", "name": "Acme", "icon": None})
    >>> ref.id, ref.to_dict()
    ('PRD-1111-1111', {'id': 'PRD-1111-1111', 'name': 'Acme', 'icon': None})
    """

    id: Lenient[str] = None
    href: Lenient[str] = None
    name: Lenient[str] = None
    icon: Lenient[str] = None
    status: Lenient[str] = None
    external_ids: Lenient[ExternalIds] = None


class Party(Reference):
    """A buyer, seller, licensee, client or vendor: a reference that may carry an address and a
    contact."""

    address: Lenient[Address] = None
    contact: Lenient[Contact] = None


class Eligibility(WireModel):
    """``{client, partner}`` flags of an account or enrollment."""

    client: Lenient[bool] = None
    partner: Lenient[bool] = None


class AuditEvent(WireModel):
    """One audit entry: when (``at``, kept as the ISO string that came) and by whom."""

    at: Lenient[str] = None
    by: Lenient[Reference] = None


class Audit(WireModel):
    """``created``, ``updated`` and the status events of an object; other events are kept."""

    created: Lenient[AuditEvent] = None
    updated: Lenient[AuditEvent] = None
    completed: Lenient[AuditEvent] = None
    deleted: Lenient[AuditEvent] = None
    failed: Lenient[AuditEvent] = None
    processing: Lenient[AuditEvent] = None
    querying: Lenient[AuditEvent] = None
    quoted: Lenient[AuditEvent] = None


class Meta(WireModel):
    """``$meta``: which fields the platform omitted (``omitted``), pagination on lists."""

    omitted: Lenient[list[LenientItem[str]]] = None
    pagination: Lenient[dict[str, Any]] = None
