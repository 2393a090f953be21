"""Tokens out of everything kept: bodies, error texts and parse errors.

Tokens (config ``[hosts."h"] token_env``) travel in the Authorization header only. Should a
server echo one back (a debug page reflecting request headers, an error quoting the
request), every form it can take there (as sent, or escaped inside a JSON string) is
replaced by ``[redacted]`` before the body reaches the raw archive, a parser, a log line
or an error message. Tokens shorter than ``MIN_SECRET_CHARS`` are sent but not searched
for: they would match ordinary text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from fedithreads.config import Settings
from fedithreads.errors import ConfigError, ParseError

REDACTED = "[redacted]"
MIN_SECRET_CHARS = 6
"""Shorter tokens are sent but not searched for in bodies (they would match real text)."""


class Redactor:
    """Replaces the configured tokens wherever they appear."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        self.forms = tuple(form for secret in secrets for form in _forms(secret))

    @classmethod
    def for_settings(cls, settings: Settings, environ: Mapping[str, str]) -> Redactor:
        """A redactor for the tokens ``settings`` names that are set in ``environ``."""
        return cls(tokens(settings, environ))

    def bytes(self, body: bytes) -> bytes:
        """``body`` with every configured token (as sent, or JSON-escaped) replaced."""
        for form in self.forms:
            if form in body:
                body = body.replace(form, REDACTED.encode())
        return body

    def text(self, text: str) -> str:
        """``text`` with every configured token replaced."""
        if not self.forms:
            return text
        return self.bytes(text.encode("utf-8", "surrogatepass")).decode("utf-8", "surrogatepass")

    def parse_error(self, exc: ParseError) -> ParseError:
        """The ParseError, its quoted input scrubbed of secrets."""
        if not self.forms:
            return exc
        return ParseError(
            exc.dialect, exc.endpoint, exc.source, exc.json_path, self.text(exc.problem)
        )


def tokens(settings: Settings, environ: Mapping[str, str]) -> tuple[str, ...]:
    """The configured tokens that are set, to redact; a token that cannot travel in a
    header is a ConfigError naming its variable (never its value)."""
    found = []
    for host, conf in sorted(settings.hosts.items()):
        if conf.token_env is None:
            continue
        token = environ.get(conf.token_env, "").strip()
        if not all("!" <= char <= "~" for char in token):
            raise ConfigError(
                f"${conf.token_env}",
                None,
                f"the token for {host} holds a space or a character that is not ASCII",
                "set it to the bare token",
            )
        if len(token) >= MIN_SECRET_CHARS:
            found.append(token)
    return tuple(found)


def _forms(secret: str) -> tuple[bytes, ...]:
    """The byte forms a token can take in a body: raw, and as a JSON string escapes it."""
    raw = secret.encode()
    escaped = json.dumps(secret)[1:-1].encode()
    return (raw,) if escaped == raw else (raw, escaped)
