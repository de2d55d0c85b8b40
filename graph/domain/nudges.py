"""Keep-in-touch nudges: which of a person's ties are worth renewing now, and why.

A tie is worth renewing when it **was strong once and is fading now**: its peak strength (the
highest it reached, which is always at one of its contacts, as strength only decays between
them) is at least the moderate band, and its band now is below the band of its peak. Among
those, the worth of a nudge is

``worth = peak * fade * reach``

- ``fade = 1 - now / peak``: the share of its peak the tie has lost (0 just after a contact,
  towards 1 when nobody keeps it up);
- ``reach = 2 ** (-silence / reach_half)``: how likely a message still lands after
  ``silence`` without contact (a year's silence halves it, by default), so a tie that is
  fading now comes before one that went cold years ago.

So, with the same fade and silence, a tie that was stronger ranks higher; a tie that never
reached the moderate band is never suggested, and neither is one in its peak band still.
Everything here is pure: the use case reads the store and hands the figures in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from graph.domain.model import InteractionKind
from graph.domain.relationship import DEFAULT_SCALE, Band, StrengthScale, band_of

__all__ = [
    "DEFAULT_REACH_HALF",
    "FadingTie",
    "LastContact",
    "Nudge",
    "describe_nudge",
    "rank_nudges",
    "worth_of",
]

DEFAULT_REACH_HALF = timedelta(days=365)
"""After this much silence a nudge is worth half as much as the same tie fading today."""


@dataclass(frozen=True, slots=True)
class FadingTie:
    """One of a person's ties: the strongest it was, and how strong it is at the moment."""

    other_id: str
    peak: float
    """The highest strength the tie reached (at one of its contacts), in ``[0, 1]``."""
    peak_at: datetime
    now: float
    """Its strength at the moment asked about, in ``[0, 1]``."""
    last_contact: datetime


@dataclass(frozen=True, slots=True)
class Nudge:
    """A tie worth renewing, with how much (see the module's docstring)."""

    tie: FadingTie
    worth: float
    peak_band: Band
    now_band: Band


@dataclass(frozen=True, slots=True)
class LastContact:
    """What the pair's last contact was, for the sentence that explains a nudge."""

    kind: InteractionKind
    channel: str | None = None
    group_name: str | None = None
    started_by_person: bool | None = None
    """Whether the person (not the other) started the last contact that someone started;
    ``None`` when nobody did."""


def worth_of(tie: FadingTie, at: datetime, *, reach_half: timedelta = DEFAULT_REACH_HALF) -> float:
    """Return how much renewing ``tie`` is worth at ``at`` (0 when it has not faded).

    >>> from datetime import UTC
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> worth_of(FadingTie("b", peak=0.8, peak_at=t, now=0.2, last_contact=t), t)
    0.6000000000000001
    """
    if tie.peak <= 0:
        return 0.0
    fade = max(0.0, 1.0 - tie.now / tie.peak)
    silence = max(timedelta(0), at - tie.last_contact)
    reach = math.pow(2.0, -(silence / reach_half))
    return tie.peak * fade * reach


def rank_nudges(
    ties: Iterable[FadingTie],
    *,
    at: datetime,
    first: int,
    scale: StrengthScale = DEFAULT_SCALE,
    reach_half: timedelta = DEFAULT_REACH_HALF,
) -> list[Nudge]:
    """Return at most ``first`` ties worth renewing at ``at``, most worth first (then by the
    other's id): those that reached the moderate band and fell below their peak's band.

    O(n log n) for n ties.

    >>> from datetime import UTC
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> ties = [
    ...     FadingTie("once-strong", peak=0.7, peak_at=t, now=0.05, last_contact=t),
    ...     FadingTie("never-strong", peak=0.15, peak_at=t, now=0.01, last_contact=t),
    ...     FadingTie("still-strong", peak=0.9, peak_at=t, now=0.6, last_contact=t),
    ... ]
    >>> [n.tie.other_id for n in rank_nudges(ties, at=t, first=5)]
    ['once-strong']
    """
    if first < 0:
        raise ValueError("first must not be negative")
    found: list[Nudge] = []
    for tie in ties:
        peak_band, now_band = band_of(tie.peak, scale), band_of(tie.now, scale)
        if tie.peak < scale.moderate or now_band.rank >= peak_band.rank:
            continue
        worth = worth_of(tie, at, reach_half=reach_half)
        found.append(Nudge(tie=tie, worth=worth, peak_band=peak_band, now_band=now_band))
    found.sort(key=lambda n: (-n.worth, n.tie.other_id))
    return found[:first]


def _months(span: timedelta) -> str:
    days = span.days
    if days < 14:
        return f"{days} day{'' if days == 1 else 's'}"
    if days < 60:
        return f"{days // 7} weeks"
    if days < 730:
        return f"{round(days / 30.44)} months"
    return f"{days // 365} years"


_KIND_WORDS = {
    InteractionKind.MEETING: "a group meeting",
    InteractionKind.BREAKOUT: "a breakout",
    InteractionKind.SIDE_CONVERSATION: "a side conversation",
    InteractionKind.CALL: "a call",
    InteractionKind.MESSAGE: "a message",
    InteractionKind.CONNECTION: "a declared connection",
}


def describe_nudge(nudge: Nudge, *, name: str, at: datetime, last: LastContact | None) -> str:
    """Return one sentence saying why the tie with ``name`` is worth renewing.

    >>> from datetime import UTC
    >>> t = datetime(2025, 3, 10, tzinfo=UTC)
    >>> tie = FadingTie("ines", peak=0.62, peak_at=t, now=0.04, last_contact=t)
    >>> n = rank_nudges([tie], at=datetime(2025, 12, 1, tzinfo=UTC), first=1)[0]
    >>> sentence = describe_nudge(n, name="Ines", at=n.tie.last_contact + timedelta(days=266),
    ...     last=LastContact(InteractionKind.CALL, "video", None, started_by_person=False))
    >>> sentence[:60]
    'You and Ines were strong (0.62) in March 2025 and are weak n'
    >>> sentence[60:]
    'ow (0.04): 9 months without contact since a call (video) Ines started.'
    """
    tie = nudge.tie
    silence = max(timedelta(0), at - tie.last_contact)
    sentence = (
        f"You and {name} were {nudge.peak_band.value} ({tie.peak:.2f})"
        f" in {tie.peak_at.strftime('%B %Y')} and are {nudge.now_band.value} now"
        f" ({tie.now:.2f}): {_months(silence)} without contact"
    )
    if last is not None:
        what = _KIND_WORDS.get(last.kind, "a contact")
        if last.channel:
            what += f" ({last.channel})"
        if last.group_name:
            what += f" in {last.group_name}"
        if last.started_by_person is True:
            what += " you started"
        elif last.started_by_person is False:
            what += f" {name} started"
        sentence += f" since {what}"
    return sentence + "."
