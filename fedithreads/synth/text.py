"""What the synthetic threads say, and who says it from where: word banks and text drawing.

``fedithreads.synth.generate`` plans a discussion; the names, headlines and comment texts it needs
come from here, each drawn from the ``random.Random`` it passes in (the order of draws is
part of the output: a seed always gives the same thread). ``HOSTS`` lists the instances
authors come from, with their software and share of authors. Texts are short and plain: a
claim about one of a few tech topics, a question or a quick reply, now and then quoting the
first sentence of the comment answered, and a distinguished moderator note.
"""

from __future__ import annotations

import random
import re
from typing import Protocol

_SENTENCE = re.compile(r"(?<=[.?!:])\s")


def _lines(block: str) -> tuple[str, ...]:
    """The non-empty lines of a text block (keeps the word banks below readable)."""
    return tuple(line.strip() for line in block.strip().splitlines())


# host, software (it shapes comment ap_ids), share of authors
HOSTS = tuple(
    (host, software, int(share))
    for host, software, share in (
        line.split()
        for line in _lines("""
        lemmy.world lemmy 30
        lemmy.ml lemmy 8
        sh.itjust.works lemmy 8
        lemmy.dbzer0.com lemmy 6
        feddit.org lemmy 6
        programming.dev lemmy 6
        lemmy.ca lemmy 5
        piefed.social piefed 5
        lemmy.zip lemmy 4
        discuss.tchncs.de lemmy 4
        slrpnk.net lemmy 3
        fedia.io mbin 3
        feddit.uk lemmy 3
        aussie.zone lemmy 2
        sopuli.xyz lemmy 2
    """)
    )
)

_SYLLABLES = _lines("ka\nlo\nmi\nren\ntal\nvo\nsen\ndri\npa\nquo\nlu\nfen\nmar\nti\nzel\nnor\nbek")
_WORDS = _lines("owl\nfern\ncrow\nmoss\npixel\nrust\ncomet\nmaple\nstatic\nember\nkettle")
_THINGS = _lines("""
    the new firmware
    the open-source driver
    end-to-end encryption
    the browser engine
    self-hosting
    the right-to-repair law
    the battery chemistry
    the package manager
    federated moderation
    the default settings
    the telemetry opt-out
    the license change
""")
_CLAIMS = _lines("""
    {t} was always going to end up like this.
    nobody outside this thread will notice {t} for years.
    {t} matters more than the headline suggests.
    {t} is fine, the rollout is the real problem.
    the article skips over how {t} actually works.
    {t} has been broken since the last major release.
    I switched away from {t} last year and never looked back.
    people keep asking for {t} and then nobody uses it.
""")
_OPENERS = ("Honestly,", "I think", "Counterpoint:", "Fair, but", "In my experience", "So")
_REPLIES = _lines("""
    Agreed.
    Not quite.
    That's not what the article says.
    Source?
    This.
    Same here.
    Hard disagree.
    Good point, hadn't thought of that.
""")
_QUESTIONS = _lines("""
    Does anyone know whether {t} works offline?
    Has anyone actually measured {t}?
    How does {t} compare to what we had five years ago?
    Is {t} opt-in or opt-out now?
""")
_TITLES = _lines("""
    Major vendor quietly changes {t}, users push back
    Why {t} keeps getting worse, explained
    Regulators open an inquiry into {t}
    Developers fork the project after dispute over {t}
""")


class _Parent(Protocol):
    """The comment being answered: only its text (None once deleted or removed) is read."""

    @property
    def text(self) -> str | None: ...


def user_name(rng: random.Random) -> str:
    """Two or three syllables, sometimes with a number or a ``_word`` after them."""
    name = "".join(rng.choices(_SYLLABLES, k=rng.randint(2, 3)))
    style = rng.random()
    if style < 0.3:
        return name + str(rng.randint(1, 999))
    if style < 0.5:
        return f"{name}_{rng.choice(_WORDS)}"
    return name


def mod_names(rng: random.Random, count: int) -> list[str]:
    """``count`` plain three-syllable names, as the moderators have."""
    return ["".join(rng.choices(_SYLLABLES, k=3)) for _ in range(count)]


def headline(rng: random.Random) -> tuple[str, str]:
    """A news headline about one of the topics, and the URL slug made of its first words."""
    title = rng.choice(_TITLES).format(t=rng.choice(_THINGS))
    slug = "-".join(title.lower().replace(",", "").split()[:6])
    return title[0].upper() + title[1:], slug


def _claim(rng: random.Random) -> str:
    claim = rng.choice(_CLAIMS).format(t=rng.choice(_THINGS))
    return claim[0].upper() + claim[1:]


def comment_text(rng: random.Random, parent: _Parent | None) -> str:
    """A short comment: a claim, a question or a quick reply, sometimes quoting the parent."""
    roll = rng.random()
    if parent is not None and roll < 0.3:
        body = f"{rng.choice(_REPLIES)} {_claim(rng)}"
    elif roll < 0.45:
        body = rng.choice(_QUESTIONS).format(t=rng.choice(_THINGS))
    else:
        claim = rng.choice(_CLAIMS).format(t=rng.choice(_THINGS))
        body = f"{rng.choice(_OPENERS)} {claim}" if claim[0].islower() else claim
    if parent is not None and parent.text and rng.random() < 0.12:
        body = f"> {_SENTENCE.split(parent.text.splitlines()[-1])[0]}\n\n{body}"
    if rng.random() < 0.2:
        body += f" {_claim(rng)}"
    return body


def mod_note(rng: random.Random) -> str:
    """The moderator's distinguished warning, reminding of one rule."""
    rule = rng.choice(("no personal attacks", "stay on topic", "no low-effort memes"))
    return (
        f"Mod note: this thread is getting heated. Rule reminder: {rule}. "
        "Comments that break the rules will be removed without further warning."
    )
