"""Settings: every option checked once, refused with a message that names it and what it takes."""

from __future__ import annotations

import logging
import math
from typing import Any

import pytest

from receiver import Receiver
from receiver.errors import ConfigurationError, UnknownWebhookTypeError
from receiver.settings import Settings, env_var, warn_unknown_variables


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"failure_policy": "retry"}, "Unknown failure_policy 'retry'", id="policy"),
        pytest.param({"replay_fail_mode": "maybe"}, "'open' or 'closed'", id="fail-mode"),
        pytest.param({"admin_token": "short"}, "at least 16 characters", id="admin-token"),
        pytest.param({"reject_message": ""}, "1 to 4000 characters", id="reject-empty"),
        pytest.param({"reject_message": "x" * 4001}, "1 to 4000 characters", id="reject-long"),
        pytest.param(
            {"max_body_size": 0}, "max_body_size must be a positive number of bytes", id="size"
        ),
        pytest.param({"leeway": "soon"}, "leeway", id="leeway-text"),
        pytest.param({"unknown_option": 1}, "unknown_option", id="unknown-option"),
    ],
)
def test_a_bad_option_is_refused_with_what_it_accepts(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(")):
        Settings(**options)


@pytest.mark.parametrize(
    "option", ["deadline", "body_timeout", "store_timeout", "stats_flush_interval"]
)
@pytest.mark.parametrize(
    "value",
    [0, -1, math.nan, math.inf, -math.inf, True, None, "soon", "0", object()],
    ids=["zero", "negative", "nan", "inf", "-inf", "bool", "none", "text", "zero-text", "object"],
)
def test_seconds_must_be_positive_finite_numbers(option: str, value: object) -> None:
    with pytest.raises(ConfigurationError, match=f"{option} must be a positive number of seconds"):
        Settings(**{option: value})


def test_the_type_names_of_the_webhooks_map_are_parsed_with_suggestions() -> None:
    assert Settings(webhooks={"WBH-1": "validatePurchaseOrderDraft"}).webhooks == {
        "WBH-1": "ValidatePurchaseOrderDraft"
    }
    with pytest.raises(UnknownWebhookTypeError, match="Did you mean 'ValidatePurchaseOrderDraft'"):
        Settings(webhooks={"WBH-1": "ValidatePurchase"})


def test_defaults_and_conversions_are_those_of_the_receiver() -> None:
    settings = Settings(deadline=5, max_body_size=1024.0, leeway="10", max_token_age=None)
    assert (settings.deadline, settings.max_body_size, settings.leeway) == (5.0, 1024, 10.0)
    assert settings.max_token_age is None
    options = settings.verify_options
    assert (options.leeway, options.max_age, options.issuer) == (10.0, None, None)
    assert Settings().failure_policy == "error"


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.deadline = 1.0  # type: ignore[misc]


def test_the_admin_token_never_shows_in_the_repr() -> None:
    token = "an-admin-token-of-32-characters!"
    settings = Settings(admin_token=token)
    assert token not in repr(settings)
    assert token not in str(settings)
    assert "admin_token='***'" in repr(settings)


def test_each_option_has_its_environment_variable() -> None:
    assert {name: env_var(name) for name in ("deadline", "failure_policy", "admin_token")} == {
        "deadline": "RECEIVER_DEADLINE",
        "failure_policy": "RECEIVER_FAILURE_POLICY",
        "admin_token": "RECEIVER_ADMIN_TOKEN",
    }


def test_the_receiver_takes_its_options_by_keyword_only() -> None:
    with pytest.raises(TypeError):
        Receiver({"WBH-1": "s" * 32})  # type: ignore[misc]
    app = Receiver(secrets={"WBH-1": "s" * 32}, deadline=3)
    assert app.settings.deadline == 3.0


def test_an_option_not_given_is_read_from_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECEIVER_DEADLINE", "2.5")
    monkeypatch.setenv("RECEIVER_FAILURE_POLICY", "reject")
    monkeypatch.setenv("RECEIVER_WEBHOOKS", '{"WBH-1": "validateAccount"}')
    monkeypatch.setenv("RECEIVER_AUDIENCE", '["a", "b"]')
    monkeypatch.setenv("RECEIVER_ISSUER", "mpt")
    monkeypatch.setenv("RECEIVER_MAX_TOKEN_AGE", "none")
    monkeypatch.setenv("RECEIVER_REPLAY_GUARD", "yes")
    monkeypatch.setenv("RECEIVER_CLEAR_ERRORS", "0")
    monkeypatch.setenv("RECEIVER_MAX_BODY_SIZE", "1024")
    settings = Settings()
    assert settings.deadline == 2.5
    assert settings.failure_policy == "reject"
    assert settings.webhooks == {"WBH-1": "ValidateAccount"}
    assert list(settings.audience or ()) == ["a", "b"]
    assert settings.issuer == "mpt"
    assert settings.max_token_age is None
    assert (settings.replay_guard, settings.clear_errors) == (True, False)
    assert settings.max_body_size == 1024


def test_an_argument_wins_over_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECEIVER_DEADLINE", "2.5")
    monkeypatch.setenv("RECEIVER_AUDIENCE", "from-env")
    assert Settings(deadline=1).deadline == 1.0
    assert Receiver(secrets={"WBH-1": "s" * 32}, audience="mine").settings.audience == "mine"
    assert Settings().audience == "from-env"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("RECEIVER_DEADLINE", "soon", "RECEIVER_DEADLINE: deadline must be a positive number"),
        ("RECEIVER_FAILURE_POLICY", "retry", "RECEIVER_FAILURE_POLICY: Unknown failure_policy"),
        (
            "RECEIVER_WEBHOOKS",
            "WBH-1=ValidateAccount",
            "RECEIVER_WEBHOOKS: webhooks must be a JSON",
        ),
        ("RECEIVER_WEBHOOKS", '{"WBH-1": "ValidateAcount"}', "Did you mean 'ValidateAccount'"),
        ("RECEIVER_REPLAY_GUARD", "maybe", "RECEIVER_REPLAY_GUARD: replay_guard must be true or"),
        ("RECEIVER_ADMIN_TOKEN", "short", "RECEIVER_ADMIN_TOKEN: admin_token must be at least 16"),
        ("RECEIVER_MAX_BODY_SIZE", "-1", "RECEIVER_MAX_BODY_SIZE: max_body_size must be"),
    ],
)
def test_a_bad_variable_is_refused_with_its_name(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as caught:
        Settings()
    assert message in str(caught.value)
    if "ADMIN_TOKEN" in variable:
        assert value not in str(caught.value).split(":", 1)[1].replace("admin_token", "")


def test_an_unknown_variable_is_warned_about_once_with_a_suggestion(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("RECEIVER_DEADLIEN", "5")
    with caplog.at_level(logging.WARNING, logger="receiver"):
        Settings()
        Settings()
    lines = [r.getMessage() for r in caplog.records if "RECEIVER_DEADLIEN" in r.getMessage()]
    (line,) = lines
    assert line.startswith(
        "RECEIVER_DEADLIEN is not a receiver setting; it is ignored. Did you mean RECEIVER_DEADLINE"
    )
    assert warn_unknown_variables({"RECEIVER_SECRETS": "{}", "RECEIVER_STORE": "memory"}) == []
