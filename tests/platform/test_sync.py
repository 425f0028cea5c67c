"""receiver.platform.sync: the webhooks an app needs, the plan, and carrying it out against
the simulator (a second plan is empty)."""

from __future__ import annotations

from typing import Any

import pytest

from receiver import Receiver
from receiver.errors import ConfigurationError
from receiver.models import Webhook
from receiver.platform.sync import (
    Kind,
    Wanted,
    apply_plan,
    desired_webhooks,
    existing_filters,
    make_plan,
    parse_criteria,
)
from receiver.types import WebhookType

from .conftest import PRODUCT, Platform

URL = "https://acme.example.com/"
CRITERIA = {"product.id": PRODUCT}


def app_for(*types: str, webhooks: dict[str, str] | None = None) -> Receiver:
    app = Receiver(secrets={"WBH-0000-0001": "s3cret-s3cret"}, webhooks=webhooks or {})
    for webhook_type in types:
        app.add_handler(webhook_type, lambda obj: obj)
    return app


def hook(webhook_type: str, **fields: Any) -> Webhook:
    data: dict[str, Any] = {
        "id": fields.pop("id", "WBH-1000-0001"),
        "type": webhook_type,
        "status": "Enabled",
        "url": f"{URL}{webhook_type}",
        "criteria": CRITERIA,
        "object": {"id": PRODUCT, "name": PRODUCT},
    }
    data.update(fields)
    return Webhook.from_dict(data)


# -- what the app needs ----------------------------------------------------------------------------


def test_one_webhook_per_handled_type_at_its_path() -> None:
    wanted = desired_webhooks(
        app_for("ValidatePurchaseOrderDraft", "ValidateChangeOrderDraft"), URL, CRITERIA
    )

    assert wanted == [
        Wanted(WebhookType("ValidateChangeOrderDraft"), f"{URL}ValidateChangeOrderDraft", CRITERIA),
        Wanted(
            WebhookType("ValidatePurchaseOrderDraft"), f"{URL}ValidatePurchaseOrderDraft", CRITERIA
        ),
    ]


def test_a_type_the_webhooks_map_routes_uses_the_shared_url() -> None:
    app = app_for(
        "ValidatePurchaseOrderDraft",
        "SelectOrderLines",
        webhooks={"WBH-0000-0001": "SelectOrderLines"},
    )

    urls = {item.webhook_type: item.url for item in desired_webhooks(app, URL, CRITERIA)}

    assert urls == {
        "SelectOrderLines": URL,
        "ValidatePurchaseOrderDraft": f"{URL}ValidatePurchaseOrderDraft",
    }


def test_each_family_keeps_its_own_anchor_and_the_shared_criteria() -> None:
    criteria = {"product.id": PRODUCT, "program.id": "PRG-1111-1111", "order.type": "Purchase"}
    app = app_for("ValidatePurchaseOrderDraft", "ValidateEnrollmentDraft")

    found = {item.webhook_type: item.criteria for item in desired_webhooks(app, URL, criteria)}

    assert found == {
        "ValidateEnrollmentDraft": {"program.id": "PRG-1111-1111", "order.type": "Purchase"},
        "ValidatePurchaseOrderDraft": {"product.id": PRODUCT, "order.type": "Purchase"},
    }


def test_a_missing_anchor_names_the_key_to_add() -> None:
    app = app_for("ValidatePurchaseOrderDraft", "ValidateEnrollmentDraft")

    with pytest.raises(ConfigurationError, match=r"ValidateEnrollmentDraft needs --criteria pro"):
        desired_webhooks(app, URL, CRITERIA)


def test_an_app_that_is_not_a_receiver_or_has_no_handler() -> None:
    with pytest.raises(ConfigurationError, match=r"not a receiver\.Receiver"):
        desired_webhooks(object(), URL, CRITERIA)
    with pytest.raises(ConfigurationError, match="registers no handler"):
        desired_webhooks(app_for(), URL, CRITERIA)


@pytest.mark.parametrize(
    ("items", "fragment"),
    [(["product.id"], "is not KEY=VALUE"), (["=x"], "is not KEY=VALUE"), (["a=1", "a=2"], "twice")],
)
def test_criteria_on_the_command_line(items: list[str], fragment: str) -> None:
    assert parse_criteria(["a=1", "a=1", "b = x=y"]) == {"a": "1", "b": "x=y"}
    with pytest.raises(ValueError, match=fragment):
        parse_criteria(items)


def test_the_existing_webhooks_are_those_of_the_same_objects() -> None:
    one = [Wanted(WebhookType("ValidateAccount"), URL, CRITERIA)]
    two = [*one, Wanted(WebhookType("ValidateEnrollmentDraft"), URL, {"program.id": "PRG-1"})]

    assert existing_filters(one) == [f"eq(object.id,{PRODUCT})"]
    assert existing_filters(two) == [f"in(object.id,({PRODUCT},PRG-1))"]


# -- the plan --------------------------------------------------------------------------------------


def plan_for(existing: list[Webhook], **kwargs: Any) -> list[tuple[Kind, str, dict[str, Any]]]:
    app = app_for(
        "ValidatePurchaseOrderDraft", "ValidateChangeOrderDraft", "ValidateTerminateOrder"
    )
    plan = make_plan(desired_webhooks(app, URL, CRITERIA), existing, **kwargs)
    return [(action.kind, action.webhook_type, action.changes) for action in plan.actions]


def test_the_plan_creates_updates_enables_keeps_and_lists_the_extra() -> None:
    existing = [
        hook("ValidatePurchaseOrderDraft", id="WBH-1"),
        hook("ValidateChangeOrderDraft", id="WBH-2", url="https://old.example.com/"),
        hook("ValidateAccount", id="WBH-3"),
        hook("ValidateTerminateOrder", id="WBH-4", status="Disabled"),
    ]

    assert plan_for(existing) == [
        (
            Kind.UPDATE,
            "ValidateChangeOrderDraft",
            {"url": ("https://old.example.com/", f"{URL}ValidateChangeOrderDraft")},
        ),
        (Kind.KEEP, "ValidatePurchaseOrderDraft", {}),
        (Kind.ENABLE, "ValidateTerminateOrder", {}),
        (Kind.EXTRA, "ValidateAccount", {}),
    ]
    assert plan_for(existing, delete_extra=True)[-1][0] is Kind.DELETE


def test_criteria_and_a_given_description_are_compared() -> None:
    existing = [
        hook("ValidatePurchaseOrderDraft", id="WBH-1", criteria={**CRITERIA, "x": "1"}),
        hook("ValidateChangeOrderDraft", id="WBH-2", description="old"),
        hook("ValidateTerminateOrder", id="WBH-3", description="Acme", status="Disabled", url="x"),
    ]

    kept = plan_for(existing)
    described = plan_for(existing, description="Acme")

    # In the order of the types: Change, Purchase, Terminate.
    assert [kind for kind, _, _ in kept] == [Kind.KEEP, Kind.UPDATE, Kind.UPDATE]
    assert kept[1][2] == {"criteria": ({**CRITERIA, "x": "1"}, CRITERIA)}
    assert [kind for kind, _, _ in described] == [Kind.UPDATE, Kind.UPDATE, Kind.UPDATE]
    assert described[0][2] == {"description": ("old", "Acme")}
    assert set(described[2][2]) == {"url"}  # the same description is not a change


def test_the_same_type_for_another_object_is_not_the_apps() -> None:
    other = hook("ValidatePurchaseOrderDraft", id="WBH-9", object={"id": "PRD-9", "name": "x"})

    kinds = [kind for kind, _, _ in plan_for([other])]

    assert kinds == [Kind.CREATE, Kind.CREATE, Kind.CREATE]


def test_the_plan_reads_as_lines() -> None:
    app = app_for("ValidatePurchaseOrderDraft")
    plan = make_plan(desired_webhooks(app, URL, CRITERIA), [hook("ValidateAccount", id="WBH-3")])

    assert plan.lines() == [
        f"+ create  (new)          ValidatePurchaseOrderDraft  {URL}ValidatePurchaseOrderDraft"
        f"  product.id={PRODUCT}",
        "? extra   WBH-3          ValidateAccount             the app has no handler for it:"
        " kept (--delete-extra deletes it)",
    ]
    assert plan.actions[0].to_dict() == {
        "action": "create",
        "type": "ValidatePurchaseOrderDraft",
        "url": f"{URL}ValidatePurchaseOrderDraft",
        "criteria": CRITERIA,
    }


# -- applied to the platform -----------------------------------------------------------------------


def test_apply_then_a_second_plan_is_empty(platform: Platform) -> None:
    app = app_for("ValidatePurchaseOrderDraft", "ValidateChangeOrderDraft")
    wanted = desired_webhooks(app, URL, CRITERIA)
    created: list[Webhook] = []
    with platform.client() as api:
        extra = api.create("ValidatePurchaseOrderQuerying", URL, CRITERIA)
        stale = api.create("ValidateChangeOrderDraft", "https://old.example.com/", CRITERIA)
        api.disable(stale.id or "")

        plan = make_plan(wanted, api.list(*existing_filters(wanted)))
        done = apply_plan(plan, api, on_created=created.append)
        again = make_plan(wanted, api.list(*existing_filters(wanted)))
        after = {hook.id: hook for hook in api.list()}

    assert [item.action.kind for item in done] == [Kind.UPDATE, Kind.CREATE]
    assert [hook.type for hook in created] == ["ValidatePurchaseOrderDraft"]
    assert created[0].secret
    assert again.changes == []
    assert [action.kind for action in again.actions] == [Kind.KEEP, Kind.KEEP, Kind.EXTRA]
    assert after[stale.id].url == f"{URL}ValidateChangeOrderDraft"
    assert after[stale.id].is_enabled
    assert extra.id in after  # kept


def test_apply_deletes_the_extra_only_when_asked(platform: Platform) -> None:
    app = app_for("ValidatePurchaseOrderDraft")
    wanted = desired_webhooks(app, URL, CRITERIA)
    with platform.client() as api:
        extra = api.create("ValidatePurchaseOrderQuerying", URL, CRITERIA)
        plan = make_plan(wanted, api.list(*existing_filters(wanted)), delete_extra=True)
        apply_plan(plan, api)
        left = [hook.type for hook in api.list()]

    assert extra.type not in left
    assert left == ["ValidatePurchaseOrderDraft"]
