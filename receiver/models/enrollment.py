"""The Enrollment the enrollment-family webhooks carry (platform.md §2.11).

It has ``ordering`` and ``fulfillment`` parameters like an Order, and the same helpers.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field

from receiver.models._base import Lenient
from receiver.models._object import ErrorObjectModel
from receiver.models.common import Audit, Eligibility, Meta, Party, Reference
from receiver.models.messages import Message
from receiver.models.parameters import (
    Parameter,
    ParameterBag,
    find_parameter_in,
    parameter_in,
)


class EnrollmentType(StrEnum):
    """Known enrollment types (OAS ``EnrollmentType``)."""

    NEW = "New"
    CHANGE = "Change"


class EnrollmentStatus(StrEnum):
    """Known enrollment statuses (OAS ``EnrollmentStatus``)."""

    PROCESSING = "Processing"
    QUERYING = "Querying"
    COMPLETED = "Completed"
    FAILED = "Failed"


class ApplicableTo(StrEnum):
    """Who a program applies to (OAS ``ProgramApplicableTo``)."""

    BUYER = "Buyer"
    LICENSEE = "Licensee"


class Enrollment(ErrorObjectModel):
    """An enrollment into a program (OAS ``Enrollment``).

    Python names: ``applicableTo`` -> ``applicable_to``, ``statusNotes`` -> ``status_notes``,
    ``$meta`` -> ``meta``.

    >>> enrollment = Enrollment.from_dict({"id": "ENR-1234-5678", "parameters": {"ordering": [
    ...     {"externalId": "partner_id", "value": "12"}]}})
    >>> enrollment.parameter("partner_id").set_error("P1", "Unknown partner.").error.message
    'Unknown partner.'
    """

    href: Lenient[str] = None
    type: Lenient[str] = None
    status: Lenient[str] = None
    applicable_to: Lenient[str] = None
    program: Lenient[Reference] = None
    certificate: Lenient[Reference] = None
    buyer: Lenient[Party] = None
    licensee: Lenient[Party] = None
    eligibility: Lenient[Eligibility] = None
    notes: Lenient[str] = None
    status_notes: Lenient[Message] = None
    assignee: Lenient[Reference] = None
    template: Lenient[Reference] = None
    parameters: Lenient[ParameterBag] = None
    audit: Lenient[Audit] = None
    meta: Lenient[Meta] = Field(None, alias="$meta")

    _parameter_bag = ParameterBag

    def parameter(self, external_id: str) -> Parameter:
        """The parameter with this ``externalId``, ordering first, then fulfillment; raises
        ParameterNotFoundError when there is none."""
        return parameter_in(self.parameters, external_id)

    def find_parameter(self, external_id: str) -> Parameter | None:
        """The parameter with this ``externalId``, ordering first, then fulfillment, or None."""
        return find_parameter_in(self.parameters, external_id)

    def clear_errors(self) -> Self:
        """Null ``error`` and every ordering parameter's ``error`` where present."""
        super().clear_errors()
        self._clear_parameter_errors()
        return self
