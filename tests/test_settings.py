"""Settings from VOIPDOWN_* variables and overrides."""

import pytest

from voipdown.settings import Settings, SettingsError, bundled_timeline


def test_defaults_need_nothing():
    settings = Settings.load({})
    assert settings.timeline == bundled_timeline() and settings.timeline.is_file()
    assert settings.public_url is None and settings.trust_proxy == 0


def test_overrides_win_over_environment():
    settings = Settings.load({"VOIPDOWN_TIMELINE": "/env.toml"}, {"VOIPDOWN_TIMELINE": "/override.toml"})
    assert str(settings.timeline) == "/override.toml"


def test_unknown_override_is_an_error_and_unknown_variable_a_warning(caplog):
    with pytest.raises(SettingsError, match="VOIPDOWN_TIMELNE"):
        Settings.load({}, {"VOIPDOWN_TIMELNE": "x"})
    Settings.load({"VOIPDOWN_TIMELNE": "x"})
    assert "VOIPDOWN_TIMELNE" in caplog.text


@pytest.mark.parametrize(
    "key, value",
    [
        ("VOIPDOWN_PUBLIC_URL", "javascript:alert(1)"),
        ("VOIPDOWN_TRUST_PROXY", "many"),
        ("VOIPDOWN_RELOAD_INTERVAL", "-1"),
    ],
)
def test_bad_values_are_refused(key, value):
    with pytest.raises(SettingsError, match=key):
        Settings.load({key: value})


def test_public_url_loses_its_trailing_slash():
    assert Settings.load({"VOIPDOWN_PUBLIC_URL": "https://x.example/"}).public_url == "https://x.example"
