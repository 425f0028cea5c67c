"""receiver.secrets: the public names, and the docstring examples of every module."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

from receiver import secrets as secrets_module


def test_public_names() -> None:
    assert set(secrets_module.__all__) == {
        "WEBHOOK_ID_MAX_LENGTH",
        "CachedSecrets",
        "CallableSecrets",
        "ProductSecrets",
        "Secret",
        "SecretCallable",
        "SecretSource",
        "SecretSpec",
        "StaticSecrets",
        "as_secret_source",
        "from_env",
        "is_plausible_webhook_id",
        "validate_secret",
    }
    for name in secrets_module.__all__:
        assert hasattr(secrets_module, name)


def test_docstring_examples_run() -> None:
    # The examples live in the package's modules, beside the code they show.
    modules = [secrets_module] + [
        importlib.import_module(f"receiver.secrets.{info.name}")
        for info in pkgutil.iter_modules(secrets_module.__path__)
    ]
    failures = tried = 0
    for module in modules:
        result = doctest.testmod(module)
        failures += result.failed
        tried += result.attempted
    assert tried >= 10
    assert failures == 0
