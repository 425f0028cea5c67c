"""``receiver webhooks``: every command over real HTTP against the simulator (each exchange
checked against the platform's OpenAPI), its errors, and the README's "Managing your webhooks"
commands as written."""

from __future__ import annotations

import json
import re
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from receiver import Receiver
from receiver.cli import main
from receiver.platform.secrets_file import read_secrets
from receiver.simulator._server import ServerThread
from receiver.testing import PlatformClient, samples
from tests.platform.conftest import PRODUCT, Platform, platform  # noqa: F401 - the fixture

ACME = """\
from receiver import Order, Receiver

app = Receiver()


@app.validate_purchase_order_draft
async def check_purchase(order: Order) -> Order:
    return order


@app.validate_change_order_draft
async def check_change(order: Order) -> Order:
    return order
"""
URL = "https://acme.example.com/"
CRITERION = f"product.id={PRODUCT}"
ADMIN = "admin-token-admin-token-0001"


@pytest.fixture
def cli(
    platform: Platform,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Any]:
    """Runs ``receiver webhooks ...`` in a directory holding acme.py, against the simulator
    (the import of acme is undone after)."""
    (tmp_path / "acme.py").write_text(ACME)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    api = {"MPT_API_BASE_URL": platform.url, "MPT_API_TOKEN": platform.token}

    def run(*args: str, code: int = 0, env: dict[str, str] | None = None, **kwargs: Any) -> Result:
        result = runner.invoke(main, ["webhooks", *args], env={**api, **(env or {})}, **kwargs)
        assert result.exit_code == code, result.output
        return result

    # Only acme is forgotten after: undoing every import made meanwhile would drop modules that
    # httpx and anyio import on first use, and their classes with them.
    monkeypatch.setattr(sys, "path", sys.path[:])
    yield run
    sys.modules.pop("acme", None)


def create(cli: Any, webhook_type: str = "ValidatePurchaseOrderDraft", *more: str) -> str:
    result = cli(
        "create",
        "--type",
        webhook_type,
        "--url",
        URL + webhook_type,
        "--criteria",
        f"product.id={PRODUCT}",
        "--secrets-file",
        "secrets.json",
        *more,
    )
    found = re.search(r"Created (WBH-\d{4}-\d{4})", result.output)
    assert found is not None, result.output
    return found.group(1)


@contextmanager
def receiver_serving(secrets: dict[str, Any], **options: Any) -> Iterator[str]:
    app = Receiver(secrets=secrets, **options)
    app.validate_purchase_order_draft(lambda order: order)
    with ServerThread(app) as server:
        yield server.url


def record_failure(platform: Platform, webhook_id: str, count: int = 1) -> None:  # noqa: F811
    call = {
        "success": False,
        "callTime": "2025-01-02T03:04:05Z",
        "responseTime": "2025-01-02T03:04:05.250Z",
        "httpStatusCode": "Unauthorized",
        "reasonPhrase": "Unauthorized",
        "error": "The vendor answered HTTP 401 Unauthorized.",
    }
    for _ in range(count):
        platform.sim.store.update_webhook(webhook_id, lambda record: record.record_call(call))


# -- list, show ------------------------------------------------------------------------------------


def test_list_as_a_table_and_as_json(cli: Any) -> None:
    assert cli("list").output == "No webhooks.\n"
    purchase = create(cli)
    change = create(cli, "ValidateChangeOrderDraft")

    table = cli("list").output.splitlines()
    listed = json.loads(cli("list", "--json").output)
    filtered = json.loads(cli("list", "--json", "--type", "validateChangeOrderDraft").output)

    assert table[0].split() == ["ID", "TYPE", "STATUS", "OBJECT", "URL"]
    assert table[1].split() == [
        purchase,
        "ValidatePurchaseOrderDraft",
        "Enabled",
        PRODUCT,
        URL + "ValidatePurchaseOrderDraft",
    ]
    assert [item["id"] for item in listed] == [purchase, change]
    assert "secret" not in listed[0]
    assert [item["id"] for item in filtered] == [change]
    assert cli("list", "--product", "PRD-9999-9999").output == (
        "No webhooks. (none match the filters)\n"
    )
    assert cli("list", "--status", "disabled", "--filter", "like(url,*acme*)").output.startswith(
        "No webhooks."
    )


def test_show_is_readable_and_json(cli: Any, platform: Platform) -> None:  # noqa: F811
    webhook_id = create(cli, "ValidatePurchaseOrderDraft", "--description", "Purchases")
    record_failure(platform, webhook_id)

    shown = cli("show", webhook_id).output
    data = json.loads(cli("show", webhook_id, "--json").output)

    assert shown.splitlines()[0] == f"{webhook_id}  ValidatePurchaseOrderDraft  Enabled"
    assert f"  object        Order {PRODUCT}" in shown
    assert f"  criteria      product.id={PRODUCT}" in shown
    assert "  description   Purchases" in shown
    assert (
        "  statistics    1 calls: 0 succeeded, 1 failed; 1 failed since the last success" in shown
    )
    assert (
        "  last failure  2025-01-02 03:04:05Z  401 Unauthorized, failed in 250 ms:"
        " The vendor answered HTTP 401 Unauthorized." in shown
    )
    assert "  last success  -" in shown
    assert data["statistics"]["failuresSinceLastSuccess"] == 1
    assert data["lastFailure"]["httpStatusCode"] == "Unauthorized"


# -- create, update, delete, enable, disable -------------------------------------------------------


def test_create_writes_the_secret_to_the_file_and_not_to_the_screen(
    cli: Any,
    tmp_path: Path,
    platform: Platform,  # noqa: F811
) -> None:
    result = cli(
        "create",
        "--type",
        "validatePurchaseOrderDraft",
        "--url",
        URL,
        "--criteria",
        f"product.id={PRODUCT}",
        "--secrets-file",
        "secrets.json",
    )

    webhook_id = result.output.split()[1]
    secret = read_secrets(tmp_path / "secrets.json")[webhook_id][0]
    assert result.output == (
        f"Created {webhook_id} (ValidatePurchaseOrderDraft, Enabled) -> {URL}\n"
        "  its secret is in secrets.json\n"
    )
    assert platform.sim.store.webhook(webhook_id).secret == secret  # type: ignore[union-attr]
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600


def test_create_shows_the_secret_only_when_asked(cli: Any) -> None:
    args = [
        "--type",
        "ValidateChangeOrderDraft",
        "--url",
        URL,
        "--criteria",
        f"product.id={PRODUCT}",
    ]

    refused = cli("create", *args, code=2)
    shown = cli("create", *args, "--show-secret")

    assert "shows a new webhook's secret only once: pass --secrets-file PATH" in refused.output
    assert re.search(r"  secret: [A-Za-z0-9_-]{43}\n", shown.output)


def test_create_with_a_chosen_secret_from_the_environment(cli: Any, platform: Platform) -> None:  # noqa: F811
    result = cli(
        "create",
        "--type",
        "ValidatePurchaseOrderDraft",
        "--url",
        URL,
        "--criteria",
        f"product.id={PRODUCT}",
        env={"RECEIVER_SECRET": "chosen-secret-chosen-secret-0001"},
    )

    webhook_id = result.output.split()[1]
    assert "chosen-secret" not in result.output
    assert platform.sim.store.webhook(webhook_id).secret == "chosen-secret-chosen-secret-0001"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        pytest.param(
            ["--type", "ValidatePurchaseOrderDraf", "--url", URL, "--criteria", "product.id=P"],
            "Did you mean 'ValidatePurchaseOrderDraft'?",
            id="type",
        ),
        pytest.param(
            ["--type", "ValidatePurchaseOrderDraft", "--url", URL, "--show-secret"],
            "Missing --criteria",
            id="criteria",
        ),
        pytest.param(
            ["--type", "ValidatePurchaseOrderDraft", "--url", "acme", "--criteria", "p=1"],
            "is not a URL",
            id="url",
        ),
        pytest.param(
            ["--type", "ValidatePurchaseOrderDraft", "--url", URL, "--criteria", "product.id"],
            "is not KEY=VALUE",
            id="criterion",
        ),
    ],
)
def test_create_command_line_errors(cli: Any, args: list[str], fragment: str) -> None:
    assert fragment in cli("create", *args, code=2).output


def test_the_platforms_refusals_are_one_line_with_what_to_do(cli: Any) -> None:
    first = create(cli)

    conflict = create_refused(cli, URL, f"product.id={PRODUCT}")
    invalid = create_refused(cli, "http://acme.example.com/", "order.type=Purchase")

    assert conflict.startswith("Error: The platform API answered 409 Conflict")
    assert f"The webhook that exists is {first}" in conflict
    assert "answered 400 Bad Request" in invalid
    assert "http:// is allowed only to a loopback host" in invalid
    assert "must include 'product.id'" in invalid


def create_refused(cli: Any, url: str, criterion: str) -> str:
    result = cli(
        "create",
        "--type",
        "ValidatePurchaseOrderDraft",
        "--url",
        url,
        "--criteria",
        criterion,
        "--show-secret",
        code=1,
    )
    output: str = result.output
    assert output.count("\n") == 1
    return output


def test_update_changes_what_is_given(cli: Any) -> None:
    webhook_id = create(cli)

    result = cli(
        "update",
        webhook_id,
        "--url",
        "https://new.example.com/",
        "--criteria",
        f"product.id={PRODUCT}",
        "--criteria",
        "order.type=Purchase",
    )
    shown = json.loads(cli("show", webhook_id, "--json").output)

    assert result.output == (
        f"Updated {webhook_id} (ValidatePurchaseOrderDraft, Enabled) -> https://new.example.com/\n"
        f"  criteria: product.id={PRODUCT}, order.type=Purchase\n"
    )
    assert shown["criteria"] == {"product.id": PRODUCT, "order.type": "Purchase"}
    assert "Nothing to change" in cli("update", webhook_id, code=2).output


def test_disable_enable_and_delete(cli: Any) -> None:
    webhook_id = create(cli)

    assert cli("disable", webhook_id).output == f"Disabled {webhook_id}.\n"
    assert json.loads(cli("show", webhook_id, "--json").output)["status"] == "Disabled"
    assert cli("enable", webhook_id).output == f"Enabled {webhook_id}.\n"
    assert "Aborted" in cli("delete", webhook_id, input="n\n", code=1).output
    assert cli("delete", webhook_id, input="y\n").output.endswith(f"Deleted {webhook_id}.\n")
    missing = cli("delete", webhook_id, "--yes", code=1).output
    assert "answered 404 Not Found" in missing
    assert "`receiver webhooks list`" in missing


@pytest.mark.parametrize("command", ["show", "enable", "disable"])
def test_an_unknown_id_is_one_line(cli: Any, command: str) -> None:
    output = cli(command, "WBH-0000-0000", code=1).output
    assert output.startswith("Error: The platform API answered 404 Not Found")


# -- address and token -----------------------------------------------------------------------------


def test_a_wrong_token_says_to_check_it(cli: Any) -> None:
    output = cli("list", "--api-token", "not-the-token", code=1).output

    assert "answered 401 Unauthorized" in output
    assert "MPT_API_TOKEN or --api-token" in output
    assert "not-the-token" not in output


def test_http_to_a_host_that_is_not_loopback_is_refused(cli: Any) -> None:
    output = cli("list", "--api-url", "http://api.example.com", code=1).output
    assert "http:// is accepted for loopback hosts only" in output


def test_without_address_and_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MPT_API_BASE_URL", raising=False)
    monkeypatch.delenv("MPT_API_TOKEN", raising=False)
    result = CliRunner().invoke(main, ["webhooks", "list"])

    assert result.exit_code == 1
    assert "Missing: MPT_API_BASE_URL (--api-url), MPT_API_TOKEN (--api-token)." in result.output


def test_a_transient_failure_is_retried(cli: Any, platform: Platform) -> None:  # noqa: F811
    platform.recorder.fail(503)

    assert cli("list").output == "No webhooks.\n"
    assert [e.status for e in platform.recorder.exchanges] == [503, 200]


# -- sync ------------------------------------------------------------------------------------------

SYNC = ["sync", "acme:app", "--url", URL, "--criteria", f"product.id={PRODUCT}"]


def test_sync_plans_then_applies_then_plans_nothing(
    cli: Any,
    tmp_path: Path,
    platform: Platform,  # noqa: F811
) -> None:
    extra = create(cli, "ValidatePurchaseOrderQuerying")
    planned = cli(*SYNC).output
    assert (
        len(platform.recorder.requests("POST")) == 1
    )  # the create above: the plan changed nothing

    refused = cli(*SYNC, "--apply", code=2).output
    applied = cli(*SYNC, "--apply", "--secrets-file", "new-secrets.json").output
    again = cli(*SYNC).output

    assert planned.splitlines()[1:] == [
        "  + create  (new)          ValidateChangeOrderDraft       "
        f"{URL}ValidateChangeOrderDraft  product.id={PRODUCT}",
        "  + create  (new)          ValidatePurchaseOrderDraft     "
        f"{URL}ValidatePurchaseOrderDraft  product.id={PRODUCT}",
        f"  ? extra   {extra}  ValidatePurchaseOrderQuerying  the app has no handler for it:"
        " kept (--delete-extra deletes it)",
        "2 change(s). Run again with --apply to carry them out.",
    ]
    assert "pass --secrets-file PATH to keep them" in refused
    secrets = read_secrets(tmp_path / "new-secrets.json")
    assert len(secrets) == 2
    assert "Applied 2 change(s)." in applied
    assert all(secret[0] not in applied for secret in secrets.values())
    assert "Deploy new-secrets.json as RECEIVER_SECRETS" in applied
    assert again.splitlines()[-1] == "Nothing to change: the platform matches the app."
    assert sum(line.startswith("  = keep") for line in again.splitlines()) == 2


def test_sync_updates_enables_and_deletes_the_extra_when_asked(
    cli: Any,
    platform: Platform,  # noqa: F811
) -> None:
    stale = create(cli, "ValidateChangeOrderDraft")
    cli("update", stale, "--url", "https://old.example.com/")
    cli("disable", stale)
    purchase = create(cli)
    extra = create(cli, "ValidatePurchaseOrderQuerying")

    result = cli(*SYNC, "--apply", "--delete-extra", "--json").output

    data = json.loads(result)
    assert [(a["action"], a.get("id")) for a in data["plan"]] == [
        ("update", stale),
        ("keep", purchase),
        ("delete", extra),
    ]
    assert data["plan"][0]["changes"] == {
        "url": {"from": "https://old.example.com/", "to": f"{URL}ValidateChangeOrderDraft"}
    }
    assert data["plan"][0]["enable"] is True
    listed = {item["id"]: item for item in json.loads(cli("list", "--json").output)}
    assert set(listed) == {stale, purchase}
    assert listed[stale]["status"] == "Enabled"
    assert json.loads(cli(*SYNC, "--json").output)["applied"] == []


def test_sync_shows_the_secrets_only_when_asked(cli: Any) -> None:
    output = cli(*SYNC, "--apply", "--show-secrets").output
    assert len(re.findall(r"secret: [A-Za-z0-9_-]{43}", output)) == 2


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["sync", "nowhere:app", "--url", URL, "--criteria", "product.id=P"], 1, "nowhere"),
        (["sync", "acme:app", "--url", URL], 2, "Missing --criteria"),
        (["sync", "acme:app", "--url", URL, "--criteria", "x=1"], 1, "needs --criteria product.id"),
    ],
)
def test_sync_errors(cli: Any, args: list[str], code: int, fragment: str) -> None:
    assert fragment in cli(*args, code=code).output


# -- rotate ----------------------------------------------------------------------------------------


def test_rotate_in_two_steps(cli: Any, tmp_path: Path, platform: Platform) -> None:  # noqa: F811
    webhook_id = create(cli)
    old = read_secrets(tmp_path / "secrets.json")[webhook_id][0]

    first = cli("rotate", webhook_id, "--secrets-file", "secrets.json").output
    secrets = read_secrets(tmp_path / "secrets.json")
    new = secrets[webhook_id][1]
    with receiver_serving(secrets) as url:  # deployed: old and new
        second = cli(
            "rotate", webhook_id, "--secrets-file", "secrets.json", "--apply", "--receiver-url", url
        ).output

    assert secrets[webhook_id] == [old, new]
    assert first.startswith(f"secrets.json now holds the old and the new secret of {webhook_id}")
    assert "--apply --receiver-url <your receiver's URL>" in first
    assert "already holds" in cli("rotate", webhook_id, "--secrets-file", "secrets.json").output
    assert platform.sim.store.webhook(webhook_id).secret == new  # type: ignore[union-attr]
    assert second.startswith("The receiver accepts the new secret;")
    assert re.search(r"deploy it after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", second)
    assert old not in first + second
    assert new not in first + second


def test_rotate_stops_when_the_receiver_refuses_the_new_secret(
    cli: Any,
    tmp_path: Path,
    platform: Platform,  # noqa: F811
) -> None:
    webhook_id = create(cli)
    old = read_secrets(tmp_path / "secrets.json")[webhook_id][0]
    cli("rotate", webhook_id, "--secrets-file", "secrets.json")

    with receiver_serving({webhook_id: old}) as url:  # not deployed yet
        output = cli(
            "rotate",
            webhook_id,
            "--secrets-file",
            "secrets.json",
            "--apply",
            "--receiver-url",
            url,
            code=1,
        ).output

    assert "answered 401 (bad_signature:" in output
    assert "nothing was changed on the platform" in output
    assert platform.sim.store.webhook(webhook_id).secret == old  # type: ignore[union-attr]


def test_rotate_command_line_errors(cli: Any) -> None:
    base = ["rotate", "WBH-1111-2222", "--secrets-file", "secrets.json"]
    assert "--apply needs --receiver-url" in cli(*base, "--apply", code=2).output
    assert "goes with --apply" in cli(*base, "--receiver-url", URL, code=2).output
    assert "has no secret for WBH-1111-2222" in cli(*base, code=1).output


# -- stats -----------------------------------------------------------------------------------------


def test_stats_and_the_fail_when_condition(cli: Any, platform: Platform) -> None:  # noqa: F811
    failing = create(cli)
    healthy = create(cli, "ValidateChangeOrderDraft")
    record_failure(platform, failing, count=4)

    table = cli("stats").output.splitlines()
    ok = cli("stats", "--fail-when", "failures-since-last-success>4")
    tripped = cli("stats", "--fail-when", "failures-since-last-success>3", code=3)
    data = json.loads(cli("stats", "--json", "--fail-when", "failures>3", code=3).output)

    assert table[0].split() == [
        "WEBHOOK",
        "TYPE",
        "STATUS",
        "PLATFORM",
        "calls/ok/failed/since-ok",
        "LAST",
        "FAILURE",
        "(platform)",
    ]
    assert table[1].split()[:4] == [failing, "ValidatePurchaseOrderDraft", "Enabled", "4/0/4/4"]
    assert table[1].endswith(
        "2025-01-02 03:04:05Z 401 Unauthorized: The vendor answered HTTP 401 Unauthorized."
    )
    assert table[2].split() == [healthy, "ValidateChangeOrderDraft", "Enabled", "0/0/0/0", "-"]
    assert ok.stderr == ""
    assert f"{failing}: failures-since-last-success>3 holds (4/0/4/4" in tripped.stderr
    assert data["failing"] == [failing]
    assert data["condition"] == "failures>3"
    assert data["webhooks"][0]["platform"]["lastFailure"]["httpStatusCode"] == "Unauthorized"


def test_stats_beside_the_receivers_own(cli: Any, platform: Platform) -> None:  # noqa: F811
    webhook_id = create(cli)
    with receiver_serving({webhook_id: "a-secret-a-secret-a-secret"}, admin_token=ADMIN) as url:
        PlatformClient(url, secret="a-secret-a-secret-a-secret", webhook_id=webhook_id).call(
            "ValidatePurchaseOrderDraft", samples.purchase_order()
        )
        table = cli("stats", "--admin-url", url, "--admin-token", ADMIN).output.splitlines()
        data = json.loads(
            cli("stats", "--json", "--admin-url", url, env={"RECEIVER_ADMIN_TOKEN": ADMIN}).output
        )
        refused = cli("stats", "--admin-url", url, "--admin-token", "x" * 20, code=1).output

    assert "RECEIVER calls/ok/failed/since-ok" in table[0]
    assert table[1].split()[3:5] == ["0/0/0/0", "1/1/0/0"]
    assert data["webhooks"][0]["receiver"]["statistics"]["successes"] == 1
    assert "refused the admin token" in refused
    assert (
        "--admin-url needs the receiver's admin token"
        in cli("stats", "--admin-url", URL, code=2).output
    )
    assert "is not a condition" in cli("stats", "--fail-when", "latency>1", code=2).output


# -- the README ------------------------------------------------------------------------------------


def readme_commands() -> list[str]:
    """The ``receiver webhooks`` lines of the README's "Managing your webhooks" section."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Managing your webhooks", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    joined = block.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.startswith("receiver webhooks")]


def test_the_readme_commands_run_as_written(cli: Any, tmp_path: Path) -> None:
    commands = readme_commands()
    assert len(commands) == 9
    outputs: list[str] = []
    webhook_id = ""
    for command in commands:
        args = shlex.split(command, comments=True)[2:]
        args = [webhook_id if arg == "WBH-1234-5678" else arg for arg in args]
        if "--receiver-url" in args:  # the deployed receiver: here, on loopback
            with receiver_serving(read_secrets(tmp_path / "secrets.json")) as url:
                args[args.index("--receiver-url") + 1] = url
                outputs.append(cli(*args).output)
        else:
            outputs.append(cli(*args).output)
        if not webhook_id and (tmp_path / "secrets.json").exists():
            listed = json.loads(
                cli("list", "--json", "--type", "ValidatePurchaseOrderDraft").output
            )
            webhook_id = listed[0]["id"]
    assert "2 change(s)" in outputs[0]
    assert "Applied 2 change(s)." in outputs[1]
    assert "The receiver accepts the new secret" in outputs[7]
