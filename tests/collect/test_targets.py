"""TARGET strings: which shapes become which target, and one clear error for the rest."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from fedithreads.collect.targets import (
    ApIdTarget,
    CommunityTarget,
    InstanceTarget,
    PostTarget,
    Target,
    UserTarget,
    parse_target,
    target_key,
)
from fedithreads.errors import UsageError

LEMMY = "https://lemmy.ml"


def post(host: str, post_id: int, base_url: str = "") -> tuple[str, str, str, int]:
    return ("post", host, base_url or f"https://{host}", post_id)


def community(host: str, name: str, base_url: str = "") -> tuple[str, str, str, str]:
    return ("community", host, base_url or f"https://{host}", name)


def shape(target: Target) -> tuple[str, str, str, int | str]:
    """The parts a case compares: kind, host, base_url and id/name/url."""
    if isinstance(target, PostTarget):
        return ("post", target.host, target.base_url, target.post_id)
    if isinstance(target, CommunityTarget):
        return ("community", target.host, target.base_url, target.name)
    if isinstance(target, UserTarget):
        return ("user", target.host, target.base_url, target.name)
    if isinstance(target, InstanceTarget):
        return ("instance", target.host, target.base_url, "")
    return ("ap_id", target.host, target.base_url, target.url)


ACCEPTED = [
    ("https://lemmy.ml/post/123", post("lemmy.ml", 123)),
    ("https://lemmy.ml/post/123/", post("lemmy.ml", 123)),
    ("https://lemmy.ml/post/123?scrollToComments=true", post("lemmy.ml", 123)),
    ("https://lemmy.ml/post/123#comment-5", post("lemmy.ml", 123)),
    ("  https://lemmy.ml/post/123\n", post("lemmy.ml", 123)),
    ("HTTPS://Lemmy.ML/post/123", post("lemmy.ml", 123)),
    ("https://lemmy.ml./post/7", post("lemmy.ml", 7)),
    ("https://lemmy.ml/post/2147483647", post("lemmy.ml", 2_147_483_647)),
    ("https://lemmy.ml:443/post/1", post("lemmy.ml", 1)),
    ("https://lemmy.ml:8443/post/1", post("lemmy.ml:8443", 1)),
    ("https://bücher.example/post/1", post("xn--bcher-kva.example", 1)),
    ("https://xn--bcher-kva.example/post/1", post("xn--bcher-kva.example", 1)),
    ("http://127.0.0.1:8536/post/9", post("127.0.0.1:8536", 9, "http://127.0.0.1:8536")),
    ("http://127.3.2.1/post/9", post("127.3.2.1", 9, "http://127.3.2.1")),
    ("http://localhost:80/post/9", post("127.0.0.1", 9, "http://127.0.0.1")),
    ("http://[::1]:8080/post/9", post("[::1]:8080", 9, "http://[::1]:8080")),
    ("https://[0:0::1]/post/9", post("[::1]", 9)),
    ("https://piefed.social/post/1603107", post("piefed.social", 1_603_107)),
    ("https://piefed.social/c/tech/p/42/a-slug", post("piefed.social", 42)),
    ("https://piefed.social/c/tech@lemmy.world/p/42/a-slug/", post("piefed.social", 42)),
    ("https://piefed.social/c/tech/p/42", post("piefed.social", 42)),
    ("!technology@lemmy.world", community("lemmy.world", "technology")),
    ("!Tech_News@Lemmy.World", community("lemmy.world", "tech_news")),
    ("!tech@127.0.0.1:8536", community("127.0.0.1:8536", "tech", "http://127.0.0.1:8536")),
    ("https://lemmy.ml/c/Technology", community("lemmy.ml", "technology")),
    ("https://lemmy.ml/c/technology/", community("lemmy.ml", "technology")),
    ("https://lemmy.ml/c/tech@Lemmy.World", community("lemmy.ml", "tech@lemmy.world")),
    ("https://lemmy.ml/c/tech@lemmy.ml", community("lemmy.ml", "tech")),
    ("@Alice@Lemmy.World", ("user", "lemmy.world", "https://lemmy.world", "alice")),
    ("@bob@127.0.0.1:8536", ("user", "127.0.0.1:8536", "http://127.0.0.1:8536", "bob")),
    ("https://lemmy.ml/u/alice", ("user", "lemmy.ml", "https://lemmy.ml", "alice")),
    ("https://lemmy.ml/u/alice@lemmy.world", ("user", "lemmy.ml", LEMMY, "alice@lemmy.world")),
    ("https://lemmy.ml/", ("instance", "lemmy.ml", "https://lemmy.ml", "")),
    ("https://Lemmy.ML", ("instance", "lemmy.ml", "https://lemmy.ml", "")),
    (
        "https://kbin.social/m/mag/t/12",
        ("ap_id", "kbin.social", "https://kbin.social", "https://kbin.social/m/mag/t/12"),
    ),
    (
        "https://Kbin.social/m/mag/t/12/größe?x=1#frag",
        (
            "ap_id",
            "kbin.social",
            "https://kbin.social",
            "https://kbin.social/m/mag/t/12/gr%C3%B6%C3%9Fe?x=1",
        ),
    ),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepted_targets_become_the_right_target(
    text: str, expected: tuple[str, str, str, int | str]
) -> None:
    """Each accepted shape gives its kind, instance key, base URL and id, name or url."""
    target = parse_target(text)

    assert shape(target) == expected
    assert target.raw == text.strip()


REJECTED = [
    ("", "give a post URL"),
    ("   ", "give a post URL"),
    ("ftp://lemmy.ml/post/1", "https://"),
    ("file:///etc/passwd", "https://"),
    ("javascript:alert(1)", "https://"),
    ("data:text/html,<b>hi</b>", "https://"),
    ("mailto:admin@lemmy.ml", "https://"),
    ("lemmy.ml/post/1", "starting with https://"),
    ("lemmy.ml:8443/post/1", "starting with https://"),
    ("https:/lemmy.ml/post/1", "https://host/post/123"),
    ("https:///post/1", "give the host name"),
    ("http://lemmy.ml/post/1", "use https://"),
    ("http://[::ffff:127.0.0.1]/post/1", "use https://"),
    ("https://user:pass@lemmy.ml/post/1", "token_env"),
    ("https://lemmy.ml:0/post/1", "check the port"),
    ("https://lemmy.ml:65536/post/1", "check the port"),
    ("https://lemmy.ml:/post/1", "check the port"),
    ("https://lemmy.ml:http/post/1", "check the port"),
    ("https://lem my.ml/post/1", "without spaces"),
    ("https://lem_my.ml/post/1", "check the host"),
    ("https://-lemmy.ml/post/1", "check the host"),
    ("https://../post/1", "check the host"),
    ("https://lemmy..ml/post/1", "check the host"),
    ("https://a\uff0fb.example/post/1", "check the host"),
    ("https://xn--zz.example/post/1", "check the host"),
    ("https://127.1/post/1", "check the host"),
    ("https://::1/post/1", "check the host"),
    ("https://[fe80::1%25eth0]/post/1", "check the host"),
    ("https://[::1/post/1", "check the host"),
    ("https://lemmy.ml\\post\\1", "URLs use /"),
    ("https://lemmy.ml/../post/1", "without it"),
    ("https://lemmy.ml/m/%2E%2e/t/1", "without it"),
    ("https://lemmy.ml/post/1%00", "without it"),
    ("https://lemmy.ml/m/x/%zz", "%25"),
    ("https://lemmy.ml/po\x00st/1", "retype it"),
    ("https://lemmy.ml/post/1\u202e", "retype it"),
    ("https://lemmy.ml/post/123abc", "check the URL"),
    ("https://lemmy.ml/post/", "give /post/<id>"),
    ("https://lemmy.ml/post/12/34", "https://lemmy.ml/post/12"),
    ("https://lemmy.ml/post/12/x", "no more"),
    ("https://lemmy.ml/post/0", "1 to 2,147,483,647"),
    ("https://lemmy.ml/post/-1", "check the URL"),
    ("https://lemmy.ml/post/2147483648", "1 to 2,147,483,647"),
    ("https://lemmy.ml/post/99999999999", "1 to 2,147,483,647"),
    ("https://lemmy.ml/comment/5", "give the URL of its post"),
    ("https://lemmy.ml/u/someone/posts", "give /u/<name>"),
    ("https://lemmy.ml/u/some.one", "check the spelling"),
    ("https://lemmy.ml/?page=2", "no query"),
    ("https://lemmy.ml/c/", "/c/<name>"),
    ("https://lemmy.ml/c/tech/new", "/c/<name>"),
    ("https://lemmy.ml/c/tech/p/42/slug/more", "/c/<name>"),
    ("https://lemmy.ml/c/te%2Fch", "check the spelling"),
    ("https://lemmy.ml/c/tech@", "give the host name"),
    ("https://lemmy.ml/c/tech@evil/x/p/1", "/c/<name>"),
    ("https://piefed.social/c/te.ch/p/42/slug", "check the spelling"),
    ("!name@host/extra", "!name@host"),
    ("!name@host?x", "!name@host"),
    ("!na me@host", "without spaces"),
    ("!name", "!name@host"),
    ("!@lemmy.ml", "check the spelling"),
    ("!name@", "give the host name"),
    ("!name@a@b", "!name@host"),
    ("!..@lemmy.ml", "check the spelling"),
    ("!name@..", "check the host"),
    ("name@lemmy.ml", "!name@host"),
    ("@user", "@name@host"),
    ("@user@lemmy.ml/x", "@name@host"),
    ("@us er@lemmy.ml", "without spaces"),
    ("https://lemmy.ml/post/" + "1" * 2000, "give a post URL"),
]


@pytest.mark.parametrize(("text", "fix"), REJECTED)
def test_rejected_targets_name_the_input_and_the_fix(text: str, fix: str) -> None:
    """Each bad TARGET is one UsageError line that quotes the input and says what to do."""
    with pytest.raises(UsageError) as caught:
        parse_target(text)

    message = str(caught.value)
    shown = re.sub(r"//[^/?#@]*@", "//[redacted]@", text)  # a password is never echoed
    assert "\n" not in message
    assert message.startswith(f"target {repr(shown)[:40]}")
    assert fix in message


def test_userinfo_error_says_where_tokens_belong() -> None:
    """A URL with user:password@ is refused with a pointer to [hosts] token_env."""
    with pytest.raises(UsageError, match=r"remove the user:password@ part; tokens belong in"):
        parse_target("https://me:secret@lemmy.ml/post/1")


@pytest.mark.parametrize(
    "text",
    ["https://me:s3cretpw@lemmy.ml/post/1", "http://user:s3cretpw@127.0.0.1/post/1"],
)
def test_a_refused_target_does_not_print_its_password_back(text: str) -> None:
    """The userinfo of a refused URL is shown as [redacted], the rest as typed."""
    with pytest.raises(UsageError) as caught:
        parse_target(text)

    assert "s3cretpw" not in str(caught.value)
    assert "[redacted]@" in str(caught.value)


def test_a_post_id_too_large_for_the_api_says_so() -> None:
    """Eleven digits are a number out of range, not "not a number"."""
    with pytest.raises(UsageError) as caught:
        parse_target("https://lemmy.ml/post/99999999999")

    assert "post id 99999999999 is out of range" in str(caught.value)
    assert "not a number" not in str(caught.value)


def test_target_keys_are_stable_and_shared_by_equivalent_spellings() -> None:
    """Spellings of the same thing share one key; different things never do."""
    same_post = ["https://lemmy.ml/post/5", "https://LEMMY.ml:443/post/5/?x=1"]
    same_community = [
        "!tech@lemmy.ml",
        "https://lemmy.ml/c/Tech",
        "https://lemmy.ml/c/tech@lemmy.ml",
    ]

    assert {target_key(parse_target(t)) for t in same_post} == {"post:lemmy.ml:5"}
    assert {target_key(parse_target(t)) for t in same_community} == {"community:lemmy.ml:tech"}
    assert target_key(parse_target("https://kbin.social/m/mag/t/12")) == (
        "ap_id:https://kbin.social/m/mag/t/12"
    )
    assert target_key(parse_target("http://127.0.0.1:8536/post/5")) == "post:127.0.0.1:8536:5"


def test_targets_are_frozen_and_communities_default_to_no_post_limit() -> None:
    """Targets are immutable values; a community parsed from a string has max_posts None."""
    target = parse_target("!tech@lemmy.ml")

    assert isinstance(target, CommunityTarget)
    assert target.max_posts is None
    with pytest.raises(AttributeError):
        target.name = "other"  # type: ignore[misc]


def test_an_ap_id_keeps_its_query_and_drops_its_fragment() -> None:
    """The URL handed to resolve_object is the ap_id as the server stored it."""
    target = parse_target("https://mbin.example/m/mag/t/12/slug?lang=en#comments")

    assert target == ApIdTarget(
        raw="https://mbin.example/m/mag/t/12/slug?lang=en#comments",
        base_url="https://mbin.example",
        host="mbin.example",
        url="https://mbin.example/m/mag/t/12/slug?lang=en",
    )


def _is_safe(name: str) -> bool:
    """No path separator, parent reference, NUL or control character."""
    bad = ("/", "\\", "..", "\x00")
    return not any(b in name for b in bad) and not any(
        unicodedata.category(c).startswith("C") for c in name
    )


URLISH = st.one_of(
    st.text(max_size=80),
    st.builds(
        "".join,
        st.lists(
            st.sampled_from(
                [
                    "https://",
                    "http://",
                    "!",
                    "@",
                    "/",
                    ".",
                    "..",
                    ":",
                    "[",
                    "]",
                    "%2e",
                    "%",
                    "post",
                    "c",
                    "p",
                    "lemmy.ml",
                    "127.0.0.1",
                    "::1",
                    "8080",
                    "123",
                    "ü",
                    "\uff0f",
                    "\uff0e",
                    "\u3002",
                    "\\",
                    "\x00",
                    "?",
                    "#",
                    "xn--",
                    "-",
                    "_",
                ]
            ),
            max_size=12,
        ),
    ),
)


@given(URLISH)
@example("https://a\uff0f..\uff0fb/post/1")
@example("!x@a\uff0eb")
@example("https://lemmy.ml/c/x@a\uff0f\uff0e\uff0e/p/1/s")
def test_any_text_gives_a_safe_target_or_a_usage_error(text: str) -> None:
    """Whatever the input, parsing never crashes and never yields an unsafe host or name."""
    try:
        target: Target | None = parse_target(text)
    except UsageError as exc:
        target, message = None, str(exc)

    if target is None:
        assert "\n" not in message
    else:
        assert _is_safe(target.host)
        assert not isinstance(target, CommunityTarget) or _is_safe(target.name)
