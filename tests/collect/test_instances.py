"""--across HOSTS and seed files' across: the other instances to read a thread from."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedithreads.collect.instances import Instance, instance_of, parse_across, read_across
from fedithreads.collect.seeds import load_seeds
from fedithreads.collect.targets import parse_target, with_across
from fedithreads.errors import ConfigError, UsageError


def test_hosts_become_instances_with_their_base_urls_each_once_in_order() -> None:
    found = read_across(
        ["lemmy.ml", "Beehaw.org/", "127.0.0.1:8536", "https://lemmy.ml", "[::1]:9"]
    )

    assert found == (
        Instance("lemmy.ml", "https://lemmy.ml"),
        Instance("beehaw.org", "https://beehaw.org"),
        Instance("127.0.0.1:8536", "http://127.0.0.1:8536"),
        Instance("[::1]:9", "http://[::1]:9"),
    )


def test_an_explicit_https_on_loopback_is_kept_and_port_443_is_dropped() -> None:
    assert read_across(["https://127.0.0.1:8443", "lemmy.ml:443"]) == (
        Instance("127.0.0.1:8443", "https://127.0.0.1:8443"),
        Instance("lemmy.ml", "https://lemmy.ml"),
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "has an empty host"),
        ("lemmy.ml,,beehaw.org", "has an empty host"),
        ("http://lemmy.ml", "plain http:// is only for loopback hosts"),
        ("ftp://lemmy.ml", "scheme 'ftp' is not supported"),
        ("lemmy.ml/c/technology", "is not a host"),
        ("!technology@lemmy.ml", "contains a user name or password"),
        ("lemmy.ml:99999", "port"),
    ],
)
def test_a_bad_host_is_one_line_naming_it_and_the_fix(text: str, says: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_across(text)

    message = str(caught.value)
    assert message.startswith("--across ")
    assert says in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "text",
    ["lemmy.ml,alice:hunter2@beehaw.org", "https://bob:hunter2/x@lemmy.ml", "a,b:hun,ter2@c"],
)
def test_a_password_in_a_host_is_not_printed_back(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_across(text)

    assert "hunter2" not in str(caught.value)
    assert "ter2" not in str(caught.value)
    assert str(caught.value).startswith("--across [redacted]: ")


def test_the_home_instance_is_the_host_of_an_actor_url() -> None:
    assert instance_of("https://lemmy.world/c/technology") == Instance(
        "lemmy.world", "https://lemmy.world"
    )
    assert instance_of("https://127.0.0.1:5001/c/tech") == Instance(
        "127.0.0.1:5001", "http://127.0.0.1:5001"
    )
    assert instance_of("not a url") is None


def test_with_across_adds_hosts_after_a_targets_own_each_once() -> None:
    target = with_across(parse_target("!tech@lemmy.world"), read_across(["lemmy.ml"]))
    target = with_across(target, read_across(["beehaw.org", "lemmy.ml"]))

    assert [i.host for i in target.across] == ["lemmy.ml", "beehaw.org"]


def test_a_seed_entry_takes_across_as_an_array_of_hosts(tmp_path: Path) -> None:
    seed = tmp_path / "s.toml"
    seed.write_text(
        '[[targets]]\ntarget = "!tech@lemmy.world"\nmax_posts = 5\n'
        'across = ["lemmy.ml", "beehaw.org"]\n\n'
        '[[targets]]\ntarget = "https://lemmy.ml/post/7"\n',
        encoding="utf-8",
    )

    first, second = load_seeds([seed])

    assert [i.host for i in first.across] == ["lemmy.ml", "beehaw.org"]
    assert second.across == ()


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ('"lemmy.ml"', "must be an array of host names"),
        ("[1, 2]", "must be an array of host names"),
        ('["http://lemmy.ml"]', "plain http:// is only for loopback hosts"),
        ("[]", "names no host"),
    ],
)
def test_a_bad_across_in_a_seed_file_names_file_key_and_fix(
    tmp_path: Path, value: str, says: str
) -> None:
    seed = tmp_path / "s.toml"
    seed.write_text(f'[[targets]]\ntarget = "!tech@lemmy.world"\nacross = {value}\n')

    with pytest.raises(ConfigError) as caught:
        load_seeds([seed])

    message = str(caught.value)
    assert f"{seed}: targets[0].across: {says}" in message


def test_a_target_named_twice_keeps_the_first_mention_with_every_across_host(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.write_text('[[targets]]\ntarget = "!tech@lemmy.world"\nacross = ["lemmy.ml"]\n')
    second.write_text(
        '[[targets]]\ntarget = "!tech@lemmy.world"\nacross = ["beehaw.org", "lemmy.ml"]\n'
    )

    (target,) = load_seeds([first, second])

    assert [i.host for i in target.across] == ["lemmy.ml", "beehaw.org"]
