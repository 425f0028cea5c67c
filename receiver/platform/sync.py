"""Registration as code: the webhooks an app's handlers need, compared with those that exist on
the platform, as a plan of changes; then carried out.

    from receiver._loader import load_app
    from receiver.platform import WebhooksClient
    from receiver.platform.sync import desired_webhooks, make_plan, apply_plan

    app = load_app("acme:app").app
    wanted = desired_webhooks(app, "https://acme.example.com/", {"product.id": "PRD-1111-1111"})
    with WebhooksClient() as api:
        plan = make_plan(wanted, api.list(*existing_filters(wanted)))
        print("\\n".join(plan.lines()))
        apply_plan(plan, api, on_created=store_the_secret)

One webhook per handled type, scoped by the criteria; its URL is ``<url>/<WebhookType>`` (the
receiver routes by path), or ``<url>`` itself for a type the app's ``webhooks=`` map names (the
receiver routes by webhook id). A webhook that exists for the same object is updated (URL,
criteria, description when one is given) and enabled; one for a type the app does not handle is
listed and kept, unless deletion is asked for. A plan made after its own apply is empty.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from receiver.errors import ConfigurationError
from receiver.models.webhook import Webhook
from receiver.platform import rql
from receiver.platform.client import WebhooksClient
from receiver.types import ANCHOR_KEY_BY_OBJECT_TYPE, WebhookType, anchor_key

DEFAULT_DESCRIPTION = "{type}, registered by receiver webhooks sync"


@dataclass(frozen=True, slots=True)
class Wanted:
    """A webhook the app needs."""

    webhook_type: WebhookType
    url: str
    criteria: dict[str, str]

    @property
    def object_id(self) -> str:
        return self.criteria[anchor_key(self.webhook_type)]


class Kind(StrEnum):
    """What the plan does with one webhook."""

    CREATE = "create"
    UPDATE = "update"
    ENABLE = "enable"
    KEEP = "keep"
    EXTRA = "extra"
    DELETE = "delete"


_MARK = {
    Kind.CREATE: "+",
    Kind.UPDATE: "~",
    Kind.ENABLE: "~",
    Kind.KEEP: "=",
    Kind.EXTRA: "?",
    Kind.DELETE: "-",
}


@dataclass(frozen=True, slots=True)
class Action:
    """One line of the plan. ``changes`` maps a field to its (old, new) values; an update
    that also enables has ``enable`` set."""

    kind: Kind
    webhook_type: WebhookType
    webhook_id: str | None = None
    url: str | None = None
    criteria: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    enable: bool = False

    @property
    def changes_something(self) -> bool:
        return self.kind in (Kind.CREATE, Kind.UPDATE, Kind.ENABLE, Kind.DELETE)

    def line(self, type_width: int = 0) -> str:
        """The action as one line for people (``type_width`` aligns the type column)."""
        who = self.webhook_id or "(new)"
        head = f"{_MARK[self.kind]} {self.kind:<6}  {who:<13}  {self.webhook_type:<{type_width}}"
        if self.kind is Kind.CREATE:
            criteria = ",".join(f"{k}={v}" for k, v in sorted(self.criteria.items()))
            return f"{head}  {self.url}  {criteria}"
        if self.kind is Kind.UPDATE:
            said = "; ".join(
                f"{name}: {_show(old)} -> {_show(new)}" for name, (old, new) in self.changes.items()
            )
            return f"{head}  {said}{' (and enable it)' if self.enable else ''}"
        if self.kind is Kind.ENABLE:
            return f"{head}  status: Disabled -> Enabled"
        if self.kind is Kind.EXTRA:
            return f"{head}  the app has no handler for it: kept (--delete-extra deletes it)"
        if self.kind is Kind.DELETE:
            return f"{head}  the app has no handler for it"
        return f"{head}  {self.url}"

    def to_dict(self) -> dict[str, Any]:
        """The action for ``--json``: no secret is in it."""
        data: dict[str, Any] = {"action": str(self.kind), "type": self.webhook_type}
        if self.webhook_id:
            data["id"] = self.webhook_id
        if self.url:
            data["url"] = self.url
        if self.kind is Kind.CREATE:
            data["criteria"] = self.criteria
        if self.changes:
            data["changes"] = {
                k: {"from": old, "to": new} for k, (old, new) in self.changes.items()
            }
        if self.enable:
            data["enable"] = True
        return data


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in sorted(value.items())) or "(none)"
    return "(none)" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Plan:
    """Every webhook the app needs or the platform has for its objects, each with an action."""

    actions: list[Action]

    @property
    def changes(self) -> list[Action]:
        """The actions that change something on the platform."""
        return [action for action in self.actions if action.changes_something]

    @property
    def creates(self) -> list[Action]:
        return [action for action in self.actions if action.kind is Kind.CREATE]

    def lines(self) -> list[str]:
        """The plan for people, one aligned line per webhook."""
        width = max((len(action.webhook_type) for action in self.actions), default=0)
        return [action.line(width) for action in self.actions]


def parse_criteria(items: Sequence[str]) -> dict[str, str]:
    """``["product.id=PRD-1111-1111", ...]`` -> a dict; ValueError for a malformed item.

    >>> parse_criteria(["product.id=PRD-1111-1111", "order.type = Purchase"])
    {'product.id': 'PRD-1111-1111', 'order.type': 'Purchase'}
    """
    criteria: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise ValueError(f"{item!r} is not KEY=VALUE; write it like product.id=PRD-1111-1111.")
        if key in criteria and criteria[key] != value:
            raise ValueError(f"{key} is given twice ({criteria[key]!r} and {value!r}).")
        criteria[key] = value
    return criteria


def desired_webhooks(app: object, url: str, criteria: Mapping[str, str]) -> list[Wanted]:
    """The webhooks ``app`` (a :class:`receiver.Receiver`) needs at ``url``, scoped by
    ``criteria``. Each type gets the criteria less the anchor keys of other families
    (``program.id`` means nothing to an Order webhook); its own anchor key must be given."""
    handlers = getattr(app, "handlers", None)
    routed: Mapping[str, WebhookType] = getattr(app, "webhooks", None) or {}
    if not isinstance(handlers, Mapping):
        raise ConfigurationError(
            f"The app is a {type(app).__name__}, not a receiver.Receiver: sync reads the"
            " handlers a Receiver registers. Point APP at the Receiver itself (acme:app)."
        )
    if not handlers:
        raise ConfigurationError(
            "The app registers no handler, so it needs no webhook. Add one, e.g."
            " `@app.validate_purchase_order_draft`."
        )
    shared = set(routed.values())
    anchors = set(ANCHOR_KEY_BY_OBJECT_TYPE.values())
    base = url.rstrip("/")
    wanted: list[Wanted] = []
    missing: list[str] = []
    for webhook_type in sorted(handlers):
        kind = WebhookType(webhook_type)
        anchor = anchor_key(kind)
        own = {k: v for k, v in criteria.items() if k == anchor or k not in anchors}
        if anchor not in own:
            missing.append(f"{kind} needs --criteria {anchor}=...")
            continue
        wanted.append(Wanted(kind, url if kind in shared else f"{base}/{kind}", own))
    if missing:
        raise ConfigurationError(
            "Each webhook is scoped to one object by its family's criteria key: "
            + "; ".join(missing)
            + "."
        )
    return wanted


def existing_filters(wanted: Sequence[Wanted]) -> list[str]:
    """The RQL filter of the webhooks that exist for the objects of ``wanted``."""
    objects = sorted({item.object_id for item in wanted})
    return [rql.eq("object.id", objects[0]) if len(objects) == 1 else rql.in_("object.id", objects)]


def make_plan(
    wanted: Sequence[Wanted],
    existing: Sequence[Webhook],
    *,
    description: str | None = None,
    delete_extra: bool = False,
) -> Plan:
    """Compare: create what is missing, update what differs, enable what is disabled, keep what
    matches; webhooks of types the app does not handle are ``extra`` (or ``delete``).
    ``description`` is compared only when given."""
    by_key = {
        (WebhookType(hook.type), _object_of(hook)): hook
        for hook in existing
        if hook.type is not None
    }
    actions: list[Action] = []
    for item in wanted:
        hook = by_key.pop((item.webhook_type, item.object_id), None)
        if hook is None:
            actions.append(
                Action(
                    Kind.CREATE,
                    item.webhook_type,
                    url=item.url,
                    criteria=item.criteria,
                    description=description or DEFAULT_DESCRIPTION.format(type=item.webhook_type),
                )
            )
            continue
        changes: dict[str, tuple[Any, Any]] = {}
        if hook.url != item.url:
            changes["url"] = (hook.url, item.url)
        if (hook.criteria or {}) != item.criteria:
            changes["criteria"] = (hook.criteria or {}, item.criteria)
        if description is not None and (hook.description or "") != description:
            changes["description"] = (hook.description, description)
        disabled = not hook.is_enabled
        if changes:
            kind = Kind.UPDATE
        elif disabled:
            kind = Kind.ENABLE
        else:
            kind = Kind.KEEP
        actions.append(
            Action(
                kind,
                item.webhook_type,
                webhook_id=hook.id,
                url=item.url,
                criteria=item.criteria,
                changes=changes,
                enable=disabled and bool(changes),
            )
        )
    handled = {item.webhook_type for item in wanted}
    for (webhook_type, _), hook in sorted(by_key.items(), key=lambda kv: kv[1].id or ""):
        if webhook_type in handled:
            continue  # the same type for another object: not this app's to change
        actions.append(
            Action(
                Kind.DELETE if delete_extra else Kind.EXTRA,
                webhook_type,
                webhook_id=hook.id,
                url=hook.url,
            )
        )
    return Plan(actions)


def _object_of(hook: Webhook) -> str:
    if hook.object is not None and hook.object.id:
        return str(hook.object.id)
    if hook.type is None:
        return ""
    return (hook.criteria or {}).get(anchor_key(WebhookType(hook.type)), "")


@dataclass(frozen=True, slots=True)
class Done:
    """What applying one action did: the action and, for a create, the webhook (with its
    secret, the only time the platform shows it)."""

    action: Action
    webhook: Webhook | None = None


def apply_plan(
    plan: Plan,
    api: WebhooksClient,
    *,
    on_created: Callable[[Webhook], None] = lambda webhook: None,
) -> list[Done]:
    """Carry out the plan's changes: updates and enables, then creates (``on_created`` gets
    each new webhook at once, to store its secret before the next request), then deletes."""
    done: list[Done] = []
    for action in plan.changes:
        if action.kind in (Kind.UPDATE, Kind.ENABLE):
            assert action.webhook_id is not None
            if action.changes:
                values = {name: new for name, (_, new) in action.changes.items()}
                api.update(action.webhook_id, **values)
            if action.kind is Kind.ENABLE or action.enable:
                api.enable(action.webhook_id)
            done.append(Done(action))
    for action in plan.creates:
        assert action.url is not None
        webhook = api.create(
            action.webhook_type, action.url, action.criteria, description=action.description
        )
        on_created(webhook)
        done.append(Done(action, webhook))
    for action in plan.changes:
        if action.kind is Kind.DELETE:
            assert action.webhook_id is not None
            api.delete(action.webhook_id)
            done.append(Done(action))
    return done
