"""receiver.platform.secrets_file: the RECEIVER_SECRETS file, merged, atomic, 0600."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from receiver.errors import ConfigurationError
from receiver.platform.secrets_file import read_secrets, write_secrets


def test_no_file_is_no_secrets(tmp_path: Path) -> None:
    assert read_secrets(tmp_path / "secrets.json") == {}


def test_writes_merge_and_keep_the_receiver_secrets_shape(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"WBH-1": "kept", "WBH-2": ["a", "b"], "WBH-3": "gone"}))

    write_secrets(path, {"WBH-4": ["new"], "WBH-2": ["b", "c"], "WBH-3": None})

    assert json.loads(path.read_text()) == {"WBH-1": "kept", "WBH-2": ["b", "c"], "WBH-4": "new"}
    assert read_secrets(path)["WBH-1"] == ["kept"]


def test_the_file_is_readable_by_its_owner_only_and_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text("{}")
    path.chmod(0o644)

    write_secrets(path, {"WBH-1": ["s"]})

    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secrets.json"]  # no temporary left


def test_a_new_file_is_created_0600(tmp_path: Path) -> None:
    path = tmp_path / "new.json"
    old_umask = os.umask(0)
    try:
        write_secrets(path, {"WBH-1": ["s"]})
    finally:
        os.umask(old_umask)
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        pytest.param('{"WBH-1": "hunter2-secret', "is not valid JSON", id="json"),
        pytest.param('["hunter2-secret"]', "holds a JSON array", id="array"),
        pytest.param('{"WBH-1": 7}', "holds a JSON number for WBH-1", id="number"),
        pytest.param('{"WBH-1": []}', "holds a JSON array for WBH-1", id="empty-list"),
        pytest.param(
            '{"WBH-1": ["hunter2-secret", 1]}', "holds a JSON array for WBH-1", id="mixed"
        ),
    ],
)
def test_a_file_in_another_shape_is_refused_without_showing_it(
    tmp_path: Path, content: str, fragment: str
) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(content)

    with pytest.raises(ConfigurationError, match=fragment) as caught:
        read_secrets(path)
    assert "hunter2" not in str(caught.value)
    with pytest.raises(ConfigurationError):
        write_secrets(path, {"WBH-2": ["s"]})
    assert path.read_text() == content  # left as it was


def test_an_unwritable_place_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="Cannot write the secrets file"):
        write_secrets(tmp_path / "missing" / "secrets.json", {"WBH-1": ["s"]})
