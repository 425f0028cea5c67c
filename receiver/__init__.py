"""receiver: answer SoftwareOne Marketplace Platform (MPT) webhook calls.

    from receiver import Order, Receiver

    app = Receiver(secrets={"WBH-5433-8787": "s3cret"})

    @app.validate_purchase_order_draft
    async def check(order: Order) -> Order:
        return order

Names are imported on first use: the pytest plugin (loaded in every pytest run of a project
that installs this package) must not pay for the app, pydantic and cryptography up front. The
public names and their homes are listed once, in ``__init__.pyi`` beside this file (what type
checkers read); this module reads that list.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Any


def _public_names() -> dict[str, str]:
    """``{name: home module}`` from the ``from X import Name as Name`` lines of the stub."""
    stub = ast.parse(Path(__file__).with_suffix(".pyi").read_text(encoding="utf-8"))
    return {
        alias.name: node.module
        for node in stub.body
        if isinstance(node, ast.ImportFrom) and node.module is not None
        for alias in node.names
    }


_HOMES = _public_names()
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'receiver' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # next access skips this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
