"""The settings table, .env.example, README and CI say the same thing."""

from __future__ import annotations

import re
import secrets

import pytest

from kit import config
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_env_example_is_made_from_the_settings_table():
    assert (ROOT / ".env.example").read_text(encoding="utf-8") == config.env_example()


def test_readme_lists_every_setting_as_the_table_says():
    assert config.readme_table() in README


def test_every_setting_reaches_app_config(tmp_path):
    app = config_only(tmp_path)
    for setting in config.SETTINGS:
        assert setting.name in app.config


def fenced_commands(text: str) -> list[str]:
    return re.findall(r"^\$ (.+)$", text, flags=re.M)


def test_ci_runs_exactly_the_readme_test_command():
    first_screen = README.split("\n## ", 1)[0]
    run, test = fenced_commands(first_screen)[:2]
    assert run.endswith("python app.py")
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is missing or too weak"),
        ({"SECRET_KEY": "changeme"}, "SECRET_KEY is missing or too weak"),
        ({"SECRET_KEY": "a" * 64}, "SECRET_KEY is missing or too weak"),
        ({"DEBUG": True}, "DEBUG must be false when PRODUCTION is true"),
    ],
)
def test_production_refuses_to_start_unsafely(tmp_path, overrides, message, monkeypatch):
    monkeypatch.setenv("PRODUCTION", "true")
    for name, value in overrides.items():
        monkeypatch.setenv(name, str(value).lower() if isinstance(value, bool) else value)
    with pytest.raises(config.SettingError, match=message):
        config_only(tmp_path)


def config_only(tmp_path):
    from flask import Flask

    app = Flask("probe", root_path=str(tmp_path), instance_path=str(tmp_path / "instance"))
    config.load(app)
    return app


def test_production_starts_with_a_strong_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("PRODUCTION", "true")
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
    assert config_only(tmp_path).config["SESSION_COOKIE_SECURE"] is True


def test_booleans_are_words_not_presence(tmp_path, monkeypatch):
    monkeypatch.setenv("SEED_ON_START", "false")
    assert config_only(tmp_path).config["SEED_ON_START"] is False
    monkeypatch.setenv("SEED_ON_START", "sometimes")
    with pytest.raises(config.SettingError, match="SEED_ON_START must be true or false, not 'sometimes'."):
        config_only(tmp_path)


@pytest.mark.parametrize(
    "name, raw, message",
    [
        ("PORT", "99999", "PORT must be from 1 to 65535, not 99999."),
        ("PAGE_SIZE", "0", "PAGE_SIZE must be from 1 to 100, not 0."),
        ("PAGE_SIZE", "1000", "PAGE_SIZE must be from 1 to 100, not 1000."),
        ("DATABASE_POOL", "0", "DATABASE_POOL must be at least 1, not 0."),
        ("LOGIN_ATTEMPTS", "-5", "LOGIN_ATTEMPTS must be at least 0, not -5."),
    ],
)
def test_a_number_outside_its_bounds_stops_the_start(tmp_path, monkeypatch, name, raw, message):
    monkeypatch.setenv(name, raw)
    with pytest.raises(config.SettingError) as refused:
        config_only(tmp_path)
    assert refused.value.message == message


def test_a_dev_secret_is_made_once_and_kept(tmp_path):
    first = config_only(tmp_path).config["SECRET_KEY"]
    assert len(first) == 64
    assert config_only(tmp_path).config["SECRET_KEY"] == first
