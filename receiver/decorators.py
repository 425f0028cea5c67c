"""One decorator per webhook type: ``@app.validate_purchase_order_draft`` and its kin.

Each is sugar over ``app.on("ValidatePurchaseOrderDraft")`` (so over ``add_handler``) and
returns the function unchanged. :class:`~receiver.app.Receiver` has them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class NamedDecorators:
    """The named decorators; the class that has them provides :meth:`on`."""

    def on(self, webhook_type: str) -> Callable[[F], F]:  # pragma: no cover - Receiver's
        raise NotImplementedError

    def validate_purchase_order_draft(self, fn: F) -> F:
        """Register ``fn`` for ValidatePurchaseOrderDraft (a Purchase order in Draft)."""
        return self.on("ValidatePurchaseOrderDraft")(fn)

    def validate_purchase_order_querying(self, fn: F) -> F:
        """Register ``fn`` for ValidatePurchaseOrderQuerying (a Purchase order in Querying)."""
        return self.on("ValidatePurchaseOrderQuerying")(fn)

    def validate_change_order_draft(self, fn: F) -> F:
        """Register ``fn`` for ValidateChangeOrderDraft (a Change order in Draft)."""
        return self.on("ValidateChangeOrderDraft")(fn)

    def validate_terminate_order(self, fn: F) -> F:
        """Register ``fn`` for ValidateTerminateOrder (a Termination order)."""
        return self.on("ValidateTerminateOrder")(fn)

    def validate_configuration_order_draft(self, fn: F) -> F:
        """Register ``fn`` for ValidateConfigurationOrderDraft (a Configuration order)."""
        return self.on("ValidateConfigurationOrderDraft")(fn)

    def select_order_lines(self, fn: F) -> F:
        """Register ``fn`` for SelectOrderLines (an Order; the handler adjusts its lines)."""
        return self.on("SelectOrderLines")(fn)

    def validate_request(self, fn: F) -> F:
        """Register ``fn`` for ValidateRequest (a Request; deprecated by the platform)."""
        return self.on("ValidateRequest")(fn)

    def validate_account(self, fn: F) -> F:
        """Register ``fn`` for ValidateAccount (an Account; the platform may never send it)."""
        return self.on("ValidateAccount")(fn)

    def validate_enrollment_draft(self, fn: F) -> F:
        """Register ``fn`` for ValidateEnrollmentDraft (an Enrollment)."""
        return self.on("ValidateEnrollmentDraft")(fn)

    def validate_enrollment_querying(self, fn: F) -> F:
        """Register ``fn`` for ValidateEnrollmentQuerying (an Enrollment in Querying)."""
        return self.on("ValidateEnrollmentQuerying")(fn)

    def validate_re_enrollment(self, fn: F) -> F:
        """Register ``fn`` for ValidateReEnrollment (an Enrollment of type Change)."""
        return self.on("ValidateReEnrollment")(fn)

    def validate_re_enrollment_querying(self, fn: F) -> F:
        """Register ``fn`` for ValidateReEnrollmentQuerying (an Enrollment)."""
        return self.on("ValidateReEnrollmentQuerying")(fn)

    def validate_answer(self, fn: F) -> F:
        """Register ``fn`` for ValidateAnswer (a helpdesk form answer; shape unknown)."""
        return self.on("ValidateAnswer")(fn)
