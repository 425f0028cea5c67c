"""receiver.testing: the public surface, imported lazily."""

from __future__ import annotations

import pytest

import receiver.testing
from receiver.testing import changes, client, overrides, samples, signing


def test_all_is_sorted_and_complete() -> None:
    assert receiver.testing.__all__ == sorted(receiver.testing.__all__)
    for name in receiver.testing.__all__:
        assert getattr(receiver.testing, name) is not None
    assert receiver.testing.PlatformClient is client.PlatformClient
    assert receiver.testing.Changes is changes.Changes
    assert receiver.testing.sign_token is signing.sign_token
    assert receiver.testing.samples is samples
    assert set(receiver.testing.__all__) <= set(dir(receiver.testing))


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'PlatformClien'"):
        receiver.testing.PlatformClien  # noqa: B018


@pytest.mark.parametrize("module", [changes, client, overrides, samples, signing])
def test_module_all_is_sorted(module: object) -> None:
    names = module.__all__  # type: ignore[attr-defined]
    assert names == sorted(names, key=lambda name: (not name.isupper(), name[0].islower(), name))
