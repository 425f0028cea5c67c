"""Type names: the one parser and the one "Did you mean ...?" rule, and every place that uses
them (``add_handler``, ``receiver send --type``, ``receiver new --types``) agreeing on both."""

from __future__ import annotations

import doctest
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import receiver.types
from receiver import Receiver
from receiver.cli import WebhookTypeParam, main
from receiver.errors import UnknownWebhookTypeError
from receiver.scaffold import UnknownTypeError, parse_types
from receiver.types import (
    KNOWN_WEBHOOK_TYPES,
    WebhookType,
    close_webhook_types,
    parse_known_webhook_type,
)
from tests.conftest import SECRET, WEBHOOK_ID


def spellings(kind: WebhookType) -> list[str]:
    """Every way of writing ``kind`` that one of the old parsers accepted: the wire's
    PascalCase, the docs' lowerCamelCase, the decorator's snake_case (``receiver new``), any
    letter case (``receiver send``), kebab-case, and spaces around or inside the name."""
    snake = kind.snake_name
    return [
        str(kind),
        kind[:1].lower() + kind[1:],
        snake,
        snake.upper(),
        kind.upper(),
        kind.lower(),
        snake.replace("_", "-"),
        snake.replace("_", " "),
        f"  {kind}  ",
        f"\t{snake}\n",
    ]


SPELLINGS = [
    pytest.param(spelling, kind, id=f"{kind}-{index}")
    for kind in KNOWN_WEBHOOK_TYPES
    for index, spelling in enumerate(spellings(kind))
]

# A typo, what is suggested for it, and the place a test of an old parser pinned it.
TYPOS = [
    pytest.param("ValidatePurchaseOrderDraf", ["ValidatePurchaseOrderDraft"], id="typo"),
    pytest.param("validatePurchaseOrderDraf", ["ValidatePurchaseOrderDraft"], id="camel-typo"),
    pytest.param("validateaccont", ["ValidateAccount"], id="lowercase-typo"),
    pytest.param("validate_terminate_ordr", ["ValidateTerminateOrder"], id="snake-typo"),
    pytest.param("ValidateChangeOrderDratf", ["ValidateChangeOrderDraft"], id="swapped"),
    pytest.param("ValidatePurchaseOrderDraftt", ["ValidatePurchaseOrderDraft"], id="extra"),
    pytest.param("selectlines", ["SelectOrderLines"], id="close"),
    pytest.param("ValidatePurchase", ["ValidatePurchaseOrderDraft"], id="prefix"),
    pytest.param("Refund", [], id="nothing-close"),
]


def test_the_examples_in_the_docstrings_run() -> None:
    result = doctest.testmod(receiver.types, report=True)
    assert result.attempted > 0
    assert result.failed == 0


# -- the parser -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("spelling", "kind"), SPELLINGS)
def test_every_spelling_names_its_type(spelling: str, kind: WebhookType) -> None:
    parsed = parse_known_webhook_type(spelling)
    assert parsed == kind
    assert type(parsed) is WebhookType
    assert str(parsed) == str(kind)  # PascalCase, whatever came in


def test_no_two_types_are_one_name_without_case_and_separators() -> None:
    keys = {kind.lower() for kind in KNOWN_WEBHOOK_TYPES}
    assert len(keys) == len(KNOWN_WEBHOOK_TYPES)


@pytest.mark.parametrize(("value", "close"), TYPOS)
def test_an_unknown_name_suggests_the_close_ones(value: str, close: list[str]) -> None:
    with pytest.raises(UnknownWebhookTypeError) as caught:
        parse_known_webhook_type(value)
    assert caught.value.value == value
    assert caught.value.suggestions == close
    assert close_webhook_types(value) == close
    assert isinstance(caught.value, ValueError)


def test_the_suggestion_names_every_type_about_as_close_as_the_best() -> None:
    assert close_webhook_types("validateQuerying") == [
        "ValidateEnrollmentQuerying",
        "ValidateReEnrollmentQuerying",
    ]


@pytest.mark.parametrize("value", ["", " ", "_", "Validate", "Order", "ValidatePurchaseOrder"])
def test_partial_and_empty_names_are_unknown(value: str) -> None:
    with pytest.raises(UnknownWebhookTypeError):
        parse_known_webhook_type(value)


@pytest.mark.parametrize("value", [None, 5, b"ValidateAccount"])
def test_a_name_that_is_not_a_string_is_a_type_error(value: object) -> None:
    with pytest.raises(TypeError, match="expected a string"):
        parse_known_webhook_type(value)  # type: ignore[arg-type]


# -- the three places that take a type name agree ---------------------------------------------


def registered_type(spelling: str) -> str:
    app = Receiver(secrets={WEBHOOK_ID: SECRET})
    app.add_handler(spelling, lambda obj: obj)
    (registered,) = app.handlers
    return str(registered)


def cli_type(spelling: str) -> str:
    """What ``receiver send --type`` makes of ``spelling`` (its option's own parameter type)."""
    (option,) = [param for param in main.commands["send"].params if param.name == "webhook_type"]
    assert isinstance(option.type, WebhookTypeParam)
    return str(option.type.convert(spelling, option, None))


def cli_error(spelling: str) -> str:
    (option,) = [param for param in main.commands["send"].params if param.name == "webhook_type"]
    with pytest.raises(click.BadParameter) as caught:
        option.type.convert(spelling, option, None)
    return caught.value.message


@pytest.mark.parametrize(("spelling", "kind"), SPELLINGS)
def test_add_handler_the_cli_and_the_scaffold_accept_the_same_spellings(
    spelling: str, kind: WebhookType
) -> None:
    assert registered_type(spelling) == kind
    assert cli_type(spelling) == kind
    assert parse_types(spelling) == (kind,)


@pytest.mark.parametrize(("value", "close"), TYPOS)
def test_add_handler_the_cli_and_the_scaffold_suggest_the_same_names(
    value: str, close: list[str]
) -> None:
    with pytest.raises(UnknownWebhookTypeError) as library:
        Receiver(secrets={WEBHOOK_ID: SECRET}).add_handler(value, lambda obj: obj)
    with pytest.raises(UnknownTypeError) as scaffold:
        parse_types(value)
    cli = cli_error(value)
    if close:
        did_you_mean = f"Did you mean {' or '.join(repr(name) for name in close)}?"
        assert did_you_mean in str(library.value)
        assert did_you_mean in str(scaffold.value)
        assert did_you_mean in cli
    else:
        for message in (str(library.value), str(scaffold.value), cli):
            assert "Did you mean" not in message


@pytest.mark.parametrize(
    "spelling",
    ["validate_change_order_draft", "VALIDATECHANGEORDERDRAFT", " validateChangeOrderDraft "],
)
def test_receiver_new_takes_the_same_spellings(
    spelling: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["new", "acme", "--types", spelling], prog_name="receiver")
    assert result.exit_code == 0, result.output
    assert "Created acme/ (ValidateChangeOrderDraft)." in result.stdout


def test_receiver_send_and_new_refuse_a_typo_with_the_same_suggestion(tmp_path: Path) -> None:
    runner = CliRunner()
    send = runner.invoke(main, ["send", "http://127.0.0.1:9/", "-t", "validate_accont"])
    new = runner.invoke(
        main, ["new", "acme", "--types", "validate_accont", "--directory", str(tmp_path / "a")]
    )
    assert send.exit_code == new.exit_code == 2
    for result in (send, new):
        assert "Unknown webhook type 'validate_accont'. Did you mean 'ValidateAccount'?" in (
            result.stderr
        )
