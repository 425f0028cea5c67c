"""receiver.testing.plugin, run the way a vendor's project runs it (pytester).

The in-process runs here name the plugin by its module (``-p no:receiver -p
receiver.testing.plugin``); ``test_the_plugins_names`` runs pytest in a subprocess the ways a
vendor names it: by its ``pytest11`` entry point ``receiver``, by module, or not at all.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from receiver.testing.plugin import MISSING_APP_MESSAGE, calls_report

pytest_plugins = ["pytester"]

# In-process runs import the plugin before pytest could rewrite it (it has no asserts), and
# leave hypothesis's plugin out: it would import (and assertion-rewrite) hypothesis in every
# inner run, seconds each where bytecode is not cached.
PLUGIN = (
    "-p",
    "no:receiver",
    "-p",
    "receiver.testing.plugin",
    "-p",
    "no:hypothesispytest",
    "-W",
    "ignore::pytest.PytestAssertRewriteWarning",
)

ACME = """
from receiver import Order, Receiver

app = Receiver(secrets={"WBH-5433-8787": "the-real-secret-the-real-secret-01"})


@app.validate_purchase_order_draft
async def check(order: Order) -> Order:
    company = order.parameter("companyName")
    if not company.value:
        company.set_error("ACME001", "Company name is required.")
    return order


def create_app():
    return app
"""

TESTS = """
from pathlib import Path


def test_accepts_a_complete_order(platform, mpt_samples):
    result = platform.call("ValidatePurchaseOrderDraft", mpt_samples.purchase_order())
    assert result.accepted, result


def test_refuses_an_empty_company(platform, mpt_samples):
    result = platform.call(
        "validatePurchaseOrderDraft", mpt_samples.purchase_order(parameters={"companyName": ""})
    )
    assert result.refused
    assert result.parameter_error("companyName")["id"] == "ACME001"


def keep(name, value):
    Path(name).write_text(value)
    return value


def test_this_one_fails(platform, mpt_samples):
    keep("secret.txt", platform.secret)
    order = mpt_samples.purchase_order(parameters={"companyName": ""}, seed=7)
    result = platform.call(
        "ValidatePurchaseOrderDraft", order, token=keep("token.txt", platform.token())
    )
    assert result.accepted
"""


def project(pytester: pytest.Pytester, ini: str | None = "receiver_app = acme:app") -> None:
    pytester.makepyfile(acme=ACME, test_acme=TESTS)
    if ini is not None:
        pytester.makeini(f"[pytest]\n{ini}\n")


def test_a_vendors_suite_with_the_ini_option(pytester: pytest.Pytester) -> None:
    project(pytester)

    result = pytester.runpytest(*PLUGIN, "--showlocals")

    result.assert_outcomes(passed=2, failed=1)
    output = result.stdout.str()
    # The failing assertion shows the call, its answer and the changes...
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: assert False",
            "E        +  where False = <CallResult /ValidatePurchaseOrderDraft ORD-*: 200 refused;"
            " answer: parameter companyName error ACME001 'Company name is required.'; changes:*",
            "*- platform calls -*",
            "call 1 of 1: ValidatePurchaseOrderDraft POST /ValidatePurchaseOrderDraft ORD-*"
            " -> 200 refused in * ms",
            "request: ORD-* type='Purchase' status='Draft' product='PRD-1111-1111'",
            "  parameters.ordering: companyName='', *",
            "answer: parameter companyName error ACME001 'Company name is required.'",
            "changes:",
            "  parameter companyName: error set ACME001 'Company name is required.'",
        ]
    )
    # ...and never the secret or the token.
    secret = (pytester.path / "secret.txt").read_text()
    token = (pytester.path / "token.txt").read_text()
    assert len(secret) > 30
    assert token.count(".") == 2
    assert secret not in output
    assert token not in output
    assert output.count("- platform calls -") == 1  # only the failing test gets the section


def test_the_app_from_a_conftest_fixture(pytester: pytest.Pytester) -> None:
    project(pytester, ini=None)
    pytester.makeconftest(
        """
        import pytest

        from acme import app


        @pytest.fixture
        def receiver_app():
            return app
        """
    )
    pytester.makepyfile(
        test_more="""
        def test_the_app_is_restored(platform, receiver_app):
            assert platform.call("ValidatePurchaseOrderDraft").accepted
            assert receiver_app.secret_source is not None


        def test_samples_fixture(mpt_samples):
            assert "purchase-order" in mpt_samples.NAMES
        """
    )
    result = pytester.runpytest(*PLUGIN, "-k", "not fails")
    result.assert_outcomes(passed=4, deselected=1)


def test_the_missing_configuration_message(pytester: pytest.Pytester) -> None:
    project(pytester, ini=None)
    result = pytester.runpytest(*PLUGIN, "-k", "accepts")
    result.assert_outcomes(errors=1, deselected=2)
    output = result.stdout.str()
    assert "[tool.pytest.ini_options]" in output
    assert 'receiver_app = "acme:app"' in output
    assert "def receiver_app():" in output
    assert "from acme import app" in output
    assert "Traceback" not in output
    assert "override the fixture in conftest.py" in MISSING_APP_MESSAGE


@pytest.mark.parametrize(
    ("spec", "outcome", "message"),
    [
        ("acme:create_app()", "passed", None),
        ("acme:check.__wrapped__", "error", "has no attribute"),
        ("acme", "error", "is not module:attribute"),
        ("acme:nothing", "error", "acme has no attribute 'nothing'"),
        ("acme:Order.model_config", "error", "is a dict, not an ASGI app"),
        ("nowhere.app:app", "error", "cannot import 'nowhere.app'"),
        ("broken:app", "error", "cannot import 'broken' (No module named 'missing_dependency')"),
    ],
)
def test_ini_specs(pytester: pytest.Pytester, spec: str, outcome: str, message: str | None) -> None:
    project(pytester, ini=f"receiver_app = {spec}")
    pytester.makepyfile(broken="import missing_dependency\napp = None\n")
    result = pytester.runpytest(*PLUGIN, "-k", "accepts")
    result.assert_outcomes(**{"passed" if outcome == "passed" else "errors": 1}, deselected=2)
    if message is not None:
        assert message in result.stdout.str()


def test_the_app_is_found_from_the_project_root(pytester: pytest.Pytester) -> None:
    # No conftest.py at the root (so pytest does not put it on sys.path), tests in a subfolder.
    pytester.makepyfile(acme=ACME)
    pytester.makeini("[pytest]\nreceiver_app = acme:app\n")
    tests = pytester.mkdir("tests")
    (tests / "test_it.py").write_text(
        textwrap.dedent(
            """
            def test_it(platform):
                assert platform.call("ValidatePurchaseOrderDraft").accepted
            """
        )
    )
    result = pytester.runpytest(*PLUGIN, "--import-mode=importlib", "tests")
    result.assert_outcomes(passed=1)


def test_an_app_without_a_receiver(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        plain="""
        async def app(scope, receive, send):
            pass
        """,
        test_plain="""
        def test_it(platform):
            pass
        """,
    )
    pytester.makeini("[pytest]\nreceiver_app = plain:app\n")
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*The platform fixture: No receiver.Receiver found in function*"])


def test_comparisons_print_results_and_changes(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makepyfile(
        test_compare="""
        def test_changes(platform, mpt_samples):
            order = mpt_samples.purchase_order(parameters={"companyName": ""})
            result = platform.call("ValidatePurchaseOrderDraft", order)
            assert result.changes == []


        def test_results(platform):
            first = platform.call("ValidatePurchaseOrderDraft")
            assert first == platform.call("ValidatePurchaseOrderDraft")
        """
    )
    result = pytester.runpytest(*PLUGIN, "test_compare.py")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: assert Changes([[]parameter companyName: error set ACME001"
            " * == []",
            "E         left:",
            "E           parameter companyName: error set ACME001 'Company name is required.'",
        ]
    )
    result.stdout.fnmatch_lines(
        ["E         left:", "E           ValidatePurchaseOrderDraft POST * -> 200 accepted in *"]
    )
    verbose = pytester.runpytest(*PLUGIN, "test_compare.py", "-vv", "-k", "results")
    verbose.stdout.fnmatch_lines(["E         right:", "E           request: ORD-*"])


def test_many_calls_show_the_last_ten(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makepyfile(
        test_many="""
        def test_many(platform):
            for _ in range(12):
                platform.call("ValidatePurchaseOrderDraft")
            assert False
        """
    )
    result = pytester.runpytest(*PLUGIN, "test_many.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["(2 earlier call(s) not shown)", "call 3 of 12: *"])
    assert "call 13" not in result.stdout.str()


def test_no_calls_no_fuss(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makepyfile(
        test_quiet="""
        def test_uses_the_fixture_without_calling(platform):
            assert False


        def test_plain():
            assert 1 == 2


        def test_compares_other_things():
            assert [1] == [2]
        """
    )
    result = pytester.runpytest(*PLUGIN, "test_quiet.py")
    result.assert_outcomes(failed=3)
    output = result.stdout.str()
    assert output.count("- platform calls -") == 1
    assert "no calls were made" in output
    assert calls_report([]) == "no calls were made"


def test_harmless_in_a_project_that_does_not_use_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_other="""
        def test_ok():
            assert True


        def test_fails():
            assert {"a": 1} == {"a": 2}
        """
    )
    pytester.makeini("[pytest]\naddopts = --strict-config --strict-markers\n")
    result = pytester.runpytest("-W", "error", *PLUGIN)
    result.assert_outcomes(passed=1, failed=1)
    assert "platform calls" not in result.stdout.str()
    help_text = pytester.runpytest(*PLUGIN, "--help").stdout.str()
    assert "receiver_app (string):" in help_text


def test_compare_hook_is_idle_until_the_client_is_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from receiver.testing.plugin import pytest_assertrepr_compare

    monkeypatch.delitem(sys.modules, "receiver.testing.client", raising=False)
    monkeypatch.delitem(sys.modules, "receiver.testing.changes", raising=False)
    assert pytest_assertrepr_compare(None, "==", 1, 2) is None  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_plugin_imports_nothing_heavy() -> None:
    # In a fresh interpreter: loading the plugin loads neither the client nor httpx.
    code = (
        "import sys, receiver.testing.plugin;"
        "print(sorted(m for m in ('receiver.testing.client', 'receiver.testing.samples',"
        " 'receiver.testing.changes') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"

    source = Path(__file__).parents[2] / "receiver" / "testing" / "plugin.py"
    top_level = [
        line
        for line in source.read_text().splitlines()
        if line.startswith(("import ", "from ")) and "__future__" not in line
    ]
    assert all("receiver" not in line and "httpx" not in line for line in top_level), top_level


PLUGIN_PROBE = """
def test_the_fixtures_are_there(mpt_samples):
    assert mpt_samples.purchase_order()["id"].startswith("ORD-")
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "conftest", "loaded"),
    [
        pytest.param([], "", True, id="installed"),
        pytest.param(["-p", "no:receiver"], "", False, id="no:receiver"),
        pytest.param(["-p", "receiver.testing.plugin"], "", True, id="by-module"),
        pytest.param(["-p", "receiver"], "", True, id="by-name"),
        pytest.param(
            [], 'pytest_plugins = ["receiver.testing.plugin"]\n', True, id="pytest_plugins"
        ),
        pytest.param(
            ["-p", "receiver.testing.plugin"],
            'pytest_plugins = ["receiver.testing.plugin"]\n',
            True,
            id="by-module-twice",
        ),
    ],
)
def test_the_plugins_names(args: list[str], conftest: str, loaded: bool, tmp_path: Path) -> None:
    # A subprocess: the entry point is loaded as in a vendor's own run, and a second name for
    # the one module must not stop the run (pluggy refuses a module registered twice).
    (tmp_path / "test_probe.py").write_text(PLUGIN_PROBE)
    if conftest:
        (tmp_path / "conftest.py").write_text(conftest)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    if loaded:
        assert done.returncode == 0, output
        assert "1 passed" in output
    else:
        assert done.returncode == 1, output
        assert "fixture 'mpt_samples' not found" in output
