"""Seed files: [[targets]] tables → targets, one clear ConfigError per mistake."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fedithreads.cli.main import main
from fedithreads.collect.seeds import default_seed_files, load_seeds
from fedithreads.collect.targets import CommunityTarget, PostTarget, target_key
from fedithreads.config import MAX_TOML_BYTES
from fedithreads.errors import ConfigError

REPO = Path(__file__).parents[2]


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_example_seed_file_sends_nothing_until_edited(tmp_path: Path) -> None:
    """seeds/example.toml names no target (it named a live server and a made-up post)
    and asks for a contact; its commented entries, once uncommented, are the replay
    server's copy of the seed thread, a post and a community."""
    text = (REPO / "seeds" / "example.toml").read_text(encoding="utf-8")
    entry = re.compile(r"^# (\[\[targets\]\]|target = |max_posts = )")
    uncommented = [line[2:] if entry.match(line) else line for line in text.splitlines()]
    edited = write(tmp_path, "edited.toml", "\n".join(uncommented))

    assert load_seeds(default_seed_files(REPO / "seeds")) == []
    assert "set `contact` in config.toml" in text
    keys = [target_key(t) for t in load_seeds([edited])]
    assert keys == [
        "post:127.0.0.1:8536:9137482",
        "post:lemmy.example:123",
        "community:lemmy.example:technology",
    ]


def test_targets_and_max_posts_are_read_in_order(tmp_path: Path) -> None:
    """Entries become targets in file order; max_posts lands on the community."""
    seed = write(
        tmp_path,
        "a.toml",
        '[[targets]]\ntarget = "https://lemmy.ml/post/1"\n\n'
        '[[targets]]\ntarget = "!tech@lemmy.world"\nmax_posts = 50\n',
    )

    post, community = load_seeds([seed])

    assert isinstance(post, PostTarget)
    assert post.post_id == 1
    assert isinstance(community, CommunityTarget)
    assert (community.name, community.max_posts) == ("tech", 50)


def test_default_seed_files_are_every_toml_file_sorted(tmp_path: Path) -> None:
    """Only *.toml files, by name; hidden files and directories are left out."""
    for name in ["b.toml", "a.toml", "notes.txt", ".#a.toml"]:
        write(tmp_path, name, "")
    (tmp_path / "dir.toml").mkdir()

    assert default_seed_files(tmp_path) == [tmp_path / "a.toml", tmp_path / "b.toml"]


def test_an_empty_or_missing_seeds_directory_gives_no_targets(tmp_path: Path) -> None:
    """No seed files means nothing to collect, not an error."""
    assert load_seeds(default_seed_files(tmp_path)) == []
    assert default_seed_files(tmp_path / "absent") == []


def test_a_file_with_only_comments_gives_no_targets(tmp_path: Path) -> None:
    """A seed file whose entries are all commented out is valid and empty."""
    seed = write(tmp_path, "a.toml", '# [[targets]]\n# target = "!tech@lemmy.ml"\n')

    assert load_seeds([seed]) == []


def test_duplicate_targets_across_files_keep_the_first(tmp_path: Path) -> None:
    """The same target key in two files is collected once, as the first file says it."""
    first = write(tmp_path, "a.toml", '[[targets]]\ntarget = "!tech@lemmy.ml"\nmax_posts = 5\n')
    second = write(
        tmp_path,
        "b.toml",
        '[[targets]]\ntarget = "https://lemmy.ml/c/Tech"\nmax_posts = 9\n'
        '[[targets]]\ntarget = "https://lemmy.ml/post/2"\n',
    )

    targets = load_seeds([first, second])

    assert [target_key(t) for t in targets] == ["community:lemmy.ml:tech", "post:lemmy.ml:2"]
    assert isinstance(targets[0], CommunityTarget)
    assert targets[0].max_posts == 5


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("[[targets]\n", None, "not valid TOML"),
        ("colour = 1\n", "colour", "unknown key"),
        ("[target]\nx = 1\n", "target", "unknown key"),
        ('targets = "https://lemmy.ml/post/1"\n', "targets", "array of tables"),
        ("targets = [1]\n", "targets[0]", "must be a table"),
        ('[[targets]]\ntarget = "!a@b.example"\nmax_post = 3\n', "targets[0].max_post", "unknown"),
        ('[[targets]]\ntarget = "!a@b.example"\n"a\\nb" = 3\n', "targets[0].'a\\nb'", "unknown"),
        ("[[targets]]\nmax_posts = 3\n", "targets[0].target", "missing"),
        ("[[targets]]\ntarget = 12\n", "targets[0].target", "must be a string, not an integer"),
        (
            '[[targets]]\ntarget = "!a@b.example"\n[[targets]]\ntarget = "ftp://x/post/1"\n',
            "targets[1].target",
            "scheme 'ftp' is not supported (got 'ftp://x/post/1'); use an https:// URL",
        ),
        ('[[targets]]\ntarget = "!a@b.example"\nmax_posts = 0\n', "targets[0].max_posts", "≥ 1"),
        (
            '[[targets]]\ntarget = "!a@b.example"\nmax_posts = 2.5\n',
            "targets[0].max_posts",
            "float",
        ),
        (
            '[[targets]]\ntarget = "!a@b.example"\nmax_posts = true\n',
            "targets[0].max_posts",
            "bool",
        ),
        (
            '[[targets]]\ntarget = "https://b.example/post/1"\nmax_posts = 5\n',
            "targets[0].max_posts",
            "only applies to a community",
        ),
    ],
)
def test_each_mistake_is_one_error_naming_file_key_and_fix(
    tmp_path: Path, text: str, key: str | None, words: str
) -> None:
    """Syntax, unknown keys, wrong types, missing or bad targets: file, key and fix named."""
    seed = write(tmp_path, "bad.toml", text)

    with pytest.raises(ConfigError) as caught:
        load_seeds([seed])

    error = caught.value
    assert (error.file, error.key) == (str(seed), key)
    assert words in str(error)
    assert error.fix
    assert "\n" not in str(error)


def test_a_seed_file_over_one_megabyte_is_refused(tmp_path: Path) -> None:
    """A huge seed file is an error that says to split it, before it is parsed."""
    seed = write(tmp_path, "big.toml", "#" * (MAX_TOML_BYTES + 1))

    with pytest.raises(ConfigError, match="split it"):
        load_seeds([seed])


def test_unreadable_and_undecodable_files_are_config_errors(tmp_path: Path) -> None:
    """A missing file or one that is not UTF-8 is one ConfigError naming the file."""
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('# caf\xe9\n[[targets]]\ntarget = "!a@b.example"\n'.encode("latin-1"))

    with pytest.raises(ConfigError, match=r"absent\.toml: cannot read"):
        load_seeds([tmp_path / "absent.toml"])
    with pytest.raises(ConfigError, match=r"latin1\.toml: not UTF-8 text; save it as UTF-8"):
        load_seeds([latin1])


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    """Files saved by editors that write a BOM still load."""
    seed = tmp_path / "bom.toml"
    seed.write_bytes(b'\xef\xbb\xbf[[targets]]\ntarget = "!a@b.example"\n')

    assert [target_key(t) for t in load_seeds([seed])] == ["community:b.example:a"]


def test_a_refused_seed_target_does_not_print_its_password_back(tmp_path: Path) -> None:
    """A seed file's URL with user:password@ is refused, the password shown redacted."""
    seed = write(
        tmp_path, "a.toml", '[[targets]]\ntarget = "https://me:s3cretpw@lemmy.ml/post/1"\n'
    )

    with pytest.raises(ConfigError) as caught:
        load_seeds([seed])

    assert "s3cretpw" not in str(caught.value)
    assert "[redacted]@lemmy.ml" in str(caught.value)


def test_a_bare_collect_in_the_checkout_contacts_no_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fedithreads collect` with the shipped config.toml and seeds/ (the cron example)
    exits 2 saying there is nothing to collect, before any request or data dir (it
    crawled lemmygrad.ml with an empty contact in the User-Agent)."""
    shutil.copy(REPO / "config.toml", tmp_path / "config.toml")
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(main, ["collect"])

    assert result.exit_code == 2
    assert "nothing to collect" in result.stderr
    assert "seeds/example.toml shows how" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml", "seeds"]
