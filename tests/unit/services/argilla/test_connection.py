"""Argilla connection settings: precedence, the settings file (mode 600), masked keys, clear errors."""

from __future__ import annotations

import stat

import pytest

from services.argilla import connection
from workbench.errors import ValidationError


def test_arguments_then_environment_then_settings_file(tmp_path, monkeypatch):
    db = tmp_path / "w.db"
    monkeypatch.delenv("ARGILLA_API_URL", raising=False)
    monkeypatch.delenv("ARGILLA_API_KEY", raising=False)
    path = connection.save_settings(db, connection.ArgillaSettings(url="http://saved:1/", api_key="saved-key-123",
                                                                   workspace="team"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert connection.resolve_settings(db) == connection.ArgillaSettings("http://saved:1", "saved-key-123", "team")
    monkeypatch.setenv("ARGILLA_API_URL", "http://env:2")
    monkeypatch.setenv("ARGILLA_API_KEY", "env-key-456")
    assert connection.resolve_settings(db).url == "http://env:2"
    assert connection.resolve_settings(db).api_key == "env-key-456"
    chosen = connection.resolve_settings(db, url="http://arg:3", api_key="arg-key-789", workspace="w2")
    assert (chosen.url, chosen.api_key, chosen.workspace) == ("http://arg:3", "arg-key-789", "w2")


@pytest.mark.parametrize("settings, message", [
    (connection.ArgillaSettings(), "no Argilla server set"),
    (connection.ArgillaSettings(url="localhost:6900", api_key="k"), "must look like http://host:port"),
    (connection.ArgillaSettings(url="http://h:1"), "no API key for the Argilla server at http://h:1"),
])
def test_incomplete_settings_say_what_to_pass(settings, message):
    with pytest.raises(ValidationError, match=message):
        settings.check()


def test_a_broken_settings_file_names_itself(tmp_path):
    db = tmp_path / "w.db"
    connection.settings_file(db).write_text("{not json")
    with pytest.raises(ValidationError, match="not a valid Argilla settings file"):
        connection.saved_settings(db)


def test_masked_keeps_only_the_ends():
    assert connection.masked("owner.apikey.0123456789") == "owne…89"
    assert connection.masked("short") == "…" and connection.masked("") == ""
