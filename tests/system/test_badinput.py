"""Bad input from the person running the collector: config.toml, seed files, targets and
the data dir. Each mistake is one stderr line naming the file, the key and the fix, with
exit 2 (usage) or 1 (an unusable data dir); never a traceback, never a file outside the
data dir."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from fedithreads.analysis.frames import build_tables
from fedithreads.cli.main import main
from fedithreads.collect.targets import CommunityTarget, parse_target, target_key
from fedithreads.config import MAX_TOML_BYTES, load_settings
from fedithreads.errors import ConfigError, UsageError
from fedithreads.storage.atomic import host_dir, safe_name
from fedithreads.storage.tables import append_snapshots, compact_run, read_table, table_files
from tests import factories

TARGET = "https://lemmy.example/post/1"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_line(result: Result, code: int, *words: str) -> str:
    """Exit ``code``, nothing on stdout, one stderr line holding every word."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), "a known error, not a traceback"
    assert result.stdout == ""
    line: str = result.stderr
    assert line.count("\n") == 1, line
    assert line.startswith("fedithreads: error: ")
    for word in words:
        assert word in line, (word, line)
    return line


CONFIG_MISTAKES = [
    ("data_dir = \n", None, "not valid TOML"),
    ('[hosts."x.example"]\ntoken_env =\n', None, "not valid TOML"),
    ("colour = 1\n", "colour", "unknown key"),
    ("[http]\ntimeout = 3\n", "http.timeout", "unknown key"),
    ('[hosts."x.example"]\ntoken = "abc"\n', "hosts.x.example.token", "unknown key"),
    ('[http]\ntimeout_seconds = "30"\n', "http.timeout_seconds", "must be a number"),
    ('keep_raw = "yes"\n', "keep_raw", "true or false"),
    ("[limits]\nconcurrency = 2.5\n", "limits.concurrency", "whole number"),
    ("http = 3\n", "http", "must be a table"),
    ("data_dir = 5\n", "data_dir", "must be a quoted path"),
    ("contact = 5\n", "contact", "must be a quoted string"),
    ("[retry]\nmax_total_seconds = inf\n", "retry.max_total_seconds", "finite number"),
    ("[http]\ntimeout_seconds = nan\n", "http.timeout_seconds", "finite number"),
    ("[limits]\nmax_pages = 0\n", "limits.max_pages", "greater than or equal to 1"),
    ("[limits]\nrate_fraction = 1.5\n", "limits.rate_fraction", "less than or equal to 1"),
    ('data_dir = ""\n', "data_dir", "must name a directory"),
    (
        "[limits]\ndefault_requests_per_second = 0.000001\n",
        "limits.default_requests_per_second",
        "waits 12.9 days between requests, longer than a request may take",
    ),
    (
        '[hosts."x.example"]\nrequests_per_second = 0.001\n',
        "hosts.x.example.requests_per_second",
        "waits 16.7 minutes between requests",
    ),
    ('resnapshot_window = "7 days"\n', "resnapshot_window", "whole number and a unit"),
    ('user_agent = "bot {name}"\n', "user_agent", "only {version} and {contact}"),
    ('user_agent = "bot {"\n', "user_agent", "only {version} and {contact}"),
    ('contact = "me\\nyou"\n', "contact", "printable ASCII on one line"),
    ('contact = "Zoë"\n', "contact", "printable ASCII"),
    ('[hosts."x.example"]\ntoken_env = "MY TOKEN"\n', "hosts.x.example.token_env", "environment"),
    ('[hosts."not a host"]\nconcurrency = 1\n', "hosts.not a host", "contains a space"),
    ('[hosts."lemmy.ml:99999"]\nconcurrency = 1\n', "hosts.lemmy.ml:99999", "not 1 to 65535"),
    (
        '[hosts."Lemmy.Example"]\nconcurrency = 1\n[hosts."lemmy.example"]\nconcurrency = 2\n',
        "hosts.lemmy.example",
        "names lemmy.example again",
    ),
]


@pytest.mark.parametrize(("text", "key", "words"), CONFIG_MISTAKES)
def test_each_config_mistake_is_one_line_with_file_key_and_fix_and_exit_2(
    tmp_path: Path, text: str, key: str | None, words: str
) -> None:
    """Syntax, unknown keys, wrong types, missing or impossible values: `collect` exits 2
    before touching the network or the data dir, with one line naming file and key."""
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")

    result = run("collect", TARGET, "--config", config, "--data-dir", tmp_path / "data")

    where = f"{config}: {key}" if key else f"{config}: "
    line = assert_one_line(result, 2, where, words)
    assert "; " in line.split(words, 1)[1], "a fix follows the problem"
    assert not (tmp_path / "data").exists()


def test_a_huge_or_undecodable_config_is_refused_before_parsing(tmp_path: Path) -> None:
    """A config over 1 MB, or one that is not UTF-8, is one clear line each."""
    huge = tmp_path / "huge.toml"
    huge.write_text("# padding\n" * (MAX_TOML_BYTES // 10 + 1))
    latin = tmp_path / "latin.toml"
    latin.write_bytes('contact = "caf\xe9"\n'.encode("latin-1"))

    assert_one_line(run("collect", TARGET, "--config", huge), 2, "huge.toml", "larger than 1 MB")
    assert_one_line(run("collect", TARGET, "--config", latin), 2, "latin.toml", "not UTF-8")


def test_host_tables_apply_to_the_instance_key_targets_use(tmp_path: Path) -> None:
    """[hosts."Lemmy.Example:443"] and an IDN spelled in Unicode are keyed as targets are."""
    config = tmp_path / "config.toml"
    config.write_text(
        '[hosts."Lemmy.Example:443"]\nconcurrency = 2\n[hosts."Bücher.example"]\nconcurrency = 3\n'
    )

    hosts = load_settings(config).hosts

    assert set(hosts) == {"lemmy.example", "xn--bcher-kva.example"}
    assert hosts["lemmy.example"].concurrency == 2


def test_a_token_that_cannot_travel_in_a_header_names_its_variable_not_its_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token with a space or a non-ASCII character (a pasted line break) is a usage
    error naming the environment variable; the value is never printed."""
    config = tmp_path / "config.toml"
    config.write_text('[hosts."127.0.0.1:9"]\ntoken_env = "FT_BAD_TOKEN"\n')
    monkeypatch.setenv("FT_BAD_TOKEN", "abc def-secretpart")

    result = run(
        "collect", "http://127.0.0.1:9/post/1", "--config", config, "--data-dir", tmp_path / "d"
    )

    line = assert_one_line(result, 2, "$FT_BAD_TOKEN", "127.0.0.1:9", "bare token")
    assert "secretpart" not in line


SEED_MISTAKES = [
    ("[[targets]\n", None, "not valid TOML"),
    ('[[targets]]\ntarget = "!a@b.example"\nmaxposts = 3\n', "targets[0].maxposts", "unknown key"),
    ("[[targets]]\nmax_posts = 3\n", "targets[0].target", "missing"),
    ("[[targets]]\ntarget = 42\n", "targets[0].target", "must be a string"),
    ('[[targets]]\ntarget = "ftp://x.example/post/1"\n', "targets[0].target", "not supported"),
    ('[[targets]]\ntarget = "!a@b.example"\nmax_posts = "9"\n', "targets[0].max_posts", "≥ 1"),
    ('targets = "https://x.example/post/1"\n', "targets", "array of tables"),
    ('title = "mine"\n', "title", "unknown key"),
    (
        '[[targets]]\ntarget = "!a@b.example"\nsince = "last week"\n',
        "targets[0].since",
        "not a date",
    ),
    ('[[targets]]\ntarget = "!a@b.example"\nuntil = 7\n', "targets[0].until", "date or a span"),
    (
        '[[targets]]\ntarget = "!a@b.example"\nsince = 2026-02-01\nuntil = 2026-01-01\n',
        "targets[0].since",
        "at or after its end",
    ),
    (
        '[[targets]]\ntarget = "https://x.example/post/1"\nsince = "7d"\n',
        "targets[0].since",
        "only applies to a community",
    ),
]


@pytest.mark.parametrize(("text", "key", "words"), SEED_MISTAKES)
def test_each_seed_mistake_is_one_line_with_file_key_and_fix_and_exit_2(
    tmp_path: Path, text: str, key: str | None, words: str
) -> None:
    """A broken seed file given with --seeds stops `collect` with one line and exit 2."""
    seed = tmp_path / "mine.toml"
    seed.write_text(text, encoding="utf-8")

    result = run("collect", "--seeds", seed, "--data-dir", tmp_path / "data")

    assert_one_line(result, 2, f"{seed}: {key}" if key else f"{seed}: ", words)


def test_huge_and_undecodable_seed_files_are_refused(tmp_path: Path) -> None:
    """Over 1 MB, or not UTF-8: one line each, exit 2."""
    huge = tmp_path / "huge.toml"
    huge.write_bytes(b"#" * (MAX_TOML_BYTES + 1))
    latin = tmp_path / "latin.toml"
    latin.write_bytes('# caf\xe9\n[[targets]]\ntarget = "!a@b.example"\n'.encode("latin-1"))

    assert_one_line(run("collect", "--seeds", huge), 2, "huge.toml", "split it")
    assert_one_line(run("collect", "--seeds", latin), 2, "latin.toml", "not UTF-8")


REJECTED_TARGETS = [
    ("javascript:alert(1)", "not supported"),
    ("file:///etc/passwd", "not supported"),
    ("data:text/html,hi", "not supported"),
    ("ftp://lemmy.ml/post/1", "not supported"),
    ("gopher://lemmy.ml/post/1", "not supported"),
    ("https://user@lemmy.ml/post/1", "user name or password"),
    ("https://:pw@lemmy.ml/post/1", "user name or password"),
    ("https://lemmy.ml:0/post/1", "not 1 to 65535"),
    ("https://lemmy.ml:65536/post/1", "not 1 to 65535"),
    ("https://lemmy.ml:http/post/1", "not 1 to 65535"),
    ("https://lemmy.ml/post/1abc", "not a number"),
    ("https://lemmy.ml/post/1/extra/stuff", "text after the post id"),
    ("https://lemmy.ml/post/-1", "not a number"),
    ("https://lemmy.ml/post/0", "out of range"),
    ("https://lemmy.ml/post/1 junk", "space"),
    ("https://lemmy.ml/post/1\u200b", "invisible or control character"),
    ("https://lem\u200bmy.ml/post/1", "invisible or control character"),
    ("https://lemmy.ml/post/%2e%2e/1", ". or .. path segment"),
    ("https://lemmy.ml/post/1%00", "escaped control character"),
    ("https://lemmy.ml/../etc/passwd", ". or .. path segment"),
    ("https://lemmy..ml/post/1", "not a valid host name"),
    ("https://-lemmy.ml/post/1", "not a valid host name"),
    ("https:///post/1", "the host is missing"),
    ("https://[::1/post/1", "not an IPv6 address"),
    ("https://[fe80::1%25eth0]/post/1", "not an IPv6 address"),
    ("http://lemmy.ml/post/1", "only for loopback hosts"),
    ("http://10.0.0.1/post/1", "only for loopback hosts"),
    ("!tech@lemmy.ml/../x", "!name@host"),
    ("!te/ch@lemmy.ml", "check the spelling"),
    ("!tech@lemmy.ml:99999", "not 1 to 65535"),
]


@pytest.mark.parametrize(("text", "words"), REJECTED_TARGETS)
def test_malformed_targets_are_rejected_with_a_clear_message(text: str, words: str) -> None:
    """Other schemes, user info, impossible ports, junk, invisible characters, hosts
    that are not hosts: one UsageError line naming the input and the fix."""
    with pytest.raises(UsageError) as caught:
        parse_target(text)

    message = str(caught.value)
    assert "\n" not in message
    assert words in message, message
    assert message.startswith("target ")


NORMALISED_TARGETS = [
    ("HTTPS://LEMMY.ML:443/post/7", "post:lemmy.ml:7"),
    ("https://lemmy.ml./post/7/", "post:lemmy.ml:7"),
    ("https://BÜCHER.example/post/7", "post:xn--bcher-kva.example:7"),
    ("https://lemmy.ml/post/7?sort=New#c", "post:lemmy.ml:7"),
    ("!Tech@Lemmy.ML", "community:lemmy.ml:tech"),
    ("https://lemmy.ml:8443/c/tech", "community:lemmy.ml:8443:tech"),
]


@pytest.mark.parametrize(("text", "key"), NORMALISED_TARGETS)
def test_equivalent_spellings_are_normalised_to_one_key(text: str, key: str) -> None:
    """Case, default ports, trailing dots, IDNs, queries and fragments normalise away."""
    assert target_key(parse_target(text)) == key


def test_a_bad_target_on_the_command_line_exits_2_without_a_data_dir(tmp_path: Path) -> None:
    """The CLI refuses the target before creating anything."""
    result = run("collect", "file:///etc/passwd", "--data-dir", tmp_path / "data")

    assert_one_line(result, 2, "file:///etc/passwd", "use an https:// URL")
    assert not (tmp_path / "data").exists()


WINDOW_MISTAKES = [
    (("--since", "2026-02-01", "--until", "2026-01-01"), "--since '2026-02-01'", "at or after"),
    (("--since", "2026-13-01"), "--since '2026-13-01'", "not a date"),
    (("--until", "yesterday"), "--until 'yesterday'", "a span back from now (7d)"),
    (("--since", "7 days"), "--since '7 days'", "not a date"),
]


@pytest.mark.parametrize(("flags", "named", "words"), WINDOW_MISTAKES)
def test_a_bad_window_exits_2_without_a_data_dir(
    tmp_path: Path, flags: tuple[str, ...], named: str, words: str
) -> None:
    """A window whose start is after its end, or a bound that is no date: one line naming
    the flag, exit 2, nothing collected."""
    result = run("collect", "!tech@lemmy.example", *flags, "--data-dir", tmp_path / "data")

    assert_one_line(result, 2, named, words)
    assert not (tmp_path / "data").exists()


def test_a_window_over_post_targets_only_exits_2(tmp_path: Path) -> None:
    """--since with nothing that lists posts is a mistake, not silently ignored."""
    result = run("collect", TARGET, "--since", "7d", "--data-dir", tmp_path / "data")

    assert_one_line(result, 2, "--since/--until/--max-posts apply to communities")
    assert not (tmp_path / "data").exists()


def test_an_unusable_data_dir_is_one_line_and_exit_1(tmp_path: Path) -> None:
    """A data dir under a regular file, and a state.json that is not JSON: one line
    each."""
    (tmp_path / "file").write_text("x")
    not_a_dir = tmp_path / "file" / "data"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "state.json").write_text('{"threads": {"a": {"comments": ')

    assert_one_line(run("collect", TARGET, "--data-dir", not_a_dir), 1, "lock", str(not_a_dir))
    assert_one_line(run("collect", TARGET, "--data-dir", broken), 1, "state.json", "move it aside")


@given(st.text(min_size=0, max_size=60))
def test_any_name_becomes_a_file_name_inside_its_directory(text: str) -> None:
    """Hosts, run ids and community names from anywhere map to one path component that
    cannot climb out of the data dir or hide as a dot file."""
    name = safe_name(text)
    root = Path("/data/tables/comments")

    assert name
    assert "/" not in name
    assert "\x00" not in name
    assert not name.startswith(".")
    assert (root / f"instance={name}").resolve().parent == root


@pytest.mark.parametrize(
    ("host", "community"),
    [
        ("lemmy.ml:8443", "technology"),
        ("127.0.0.1:8536", "a" * 100),
        ("[::1]:9", "tech@lemmy.world"),
        ("xn--bcher-kva.example", "TECH@Lemmy.World"),
    ],
)
def test_community_names_and_hosts_stay_inside_the_data_dir(
    tmp_path: Path, host: str, community: str
) -> None:
    """A post list of any accepted community on any accepted host lands in one part under
    staging/posts/ of the data dir, in its instance's partition, and, once the run is
    compacted, in tables/posts/, and reads back."""
    scheme = "http" if host.startswith(("127.", "[::1]")) else "https"
    target = parse_target(f"{scheme}://{host}/c/{community}")
    assert isinstance(target, CommunityTarget)
    frame = build_tables([factories.post(7, instance=target.host)], []).posts

    (written,) = append_snapshots(tmp_path, "run1", "posts", frame, f"list-{target.name}")

    compact_run(tmp_path, "run1")

    assert written.resolve().is_relative_to((tmp_path / "staging" / "posts").resolve())
    assert written.parent.name == f"instance={host_dir(target.host)}"
    (published,) = table_files(tmp_path, "posts")
    assert published.resolve().is_relative_to((tmp_path / "tables" / "posts").resolve())
    assert published.parent.name == written.parent.name
    assert read_table(tmp_path, "posts")["instance"].to_list() == [target.host]


def test_an_unreadable_config_path_is_a_config_error(tmp_path: Path) -> None:
    """A directory given as the config file is one ConfigError, not a traceback."""
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path)
