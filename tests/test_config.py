"""config.toml: defaults, path resolution, and one clear error per mistake."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from fedithreads.config import Settings, load_settings
from fedithreads.core.units import duration_seconds
from fedithreads.errors import ConfigError

REPO = Path(__file__).parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_config_is_valid_and_matches_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """config.toml at the top of the repo parses and states the default values."""
    monkeypatch.chdir(tmp_path)
    shipped = load_settings(REPO / "config.toml")
    defaults = load_settings(None)

    def blank(settings: Settings) -> Settings:
        return replace(settings, data_dir=Path(), seeds_dir=Path())

    assert blank(shipped) == blank(defaults)
    assert shipped.data_dir == (REPO / "data").resolve()
    assert shipped.seeds_dir == (REPO / "seeds").resolve()


def test_relative_data_dir_is_resolved_against_the_config_file(tmp_path: Path) -> None:
    """A cron line works from any working directory."""
    cfg = write(tmp_path, 'data_dir = "collected"\n')

    assert load_settings(cfg).data_dir == (tmp_path / "collected").resolve()


def test_data_dir_flag_overrides_the_config(tmp_path: Path) -> None:
    """--data-dir wins over the config file."""
    cfg = write(tmp_path, 'data_dir = "collected"\n')

    assert load_settings(cfg, data_dir=tmp_path / "other").data_dir == tmp_path / "other"


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("colour = 1\n", "colour", "unknown key"),
        ("[limits]\nconcurency = 3\n", "limits.concurency", "unknown key"),
        ("[limits]\nconcurrency = 0\n", "limits.concurrency", "greater than or equal to 1"),
        ('[limits]\nconcurrency = "many"\n', "limits.concurrency", "whole number"),
        ('activity_bucket = "hourly"\n', "activity_bucket", "whole number and a unit"),
        ("keep_raw = 3\n", "keep_raw", "boolean"),
        ('[hosts."x.example"]\nrequests_per_second = -1\n', "hosts.x.example", "greater than"),
        ("[limits]\nmax_pages = true\n", "limits.max_pages", "whole number"),
        ("[limits]\nmax_pages = 2.5\n", "limits.max_pages", "whole number"),
        ("[limits]\nrate_fraction = 1.5\n", "limits.rate_fraction", "less than or equal to 1"),
        ('limits = "fast"\n', "limits", "must be a table"),
        ('hosts = "x.example"\n', "hosts", "must be a table"),
        ('[hosts."x.example"]\ntoken_env = "my token"\n', "hosts.x.example.token_env", "variable"),
        ('user_agent = "bot {name}"\n', "user_agent", "{version} and {contact}"),
        ("seeds_dir = 3\n", "seeds_dir", "quoted path"),
    ],
)
def test_each_mistake_is_one_error_naming_file_and_key(
    tmp_path: Path, text: str, key: str, words: str
) -> None:
    """The message names the file, the key, the problem and where to look for the fix."""
    cfg = write(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_settings(cfg)

    message = str(caught.value)
    assert message.startswith(f"{cfg}: {key}")
    assert words in message
    assert "\n" not in message
    assert caught.value.exit_code == 2


def test_toml_syntax_errors_name_the_file(tmp_path: Path) -> None:
    """A broken config.toml is reported with its parser's position."""
    cfg = write(tmp_path, "data_dir = \n")

    with pytest.raises(ConfigError, match=r"config\.toml: not valid TOML .*line 1"):
        load_settings(cfg)


def test_an_explicit_config_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    """--config pointing nowhere is a usage error, not silently the defaults."""
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "missing.toml")


def test_a_whole_number_is_read_where_a_decimal_is_expected(tmp_path: Path) -> None:
    """`rate_fraction = 1` and `timeout_seconds = 5` are numbers like any other (TOML keeps
    1 and 1.0 apart; config does not ask users to)."""
    cfg = write(tmp_path, "[limits]\nrate_fraction = 1\n[http]\ntimeout_seconds = 5\n")

    settings = load_settings(cfg)

    assert settings.limits.rate_fraction == 1.0
    assert settings.http.timeout_seconds == 5.0


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("15m", 900), ("1h", 3600), ("2d", 172800)]
)
def test_durations(text: str, seconds: int) -> None:
    """Durations read as whole units."""
    assert duration_seconds(text) == seconds
