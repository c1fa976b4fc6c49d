"""The session report: everything a clinician reads about one analysed session, as typed data.

Built from an AnalysisResult (and the client's check-in for the session, when there is one); rendered
by `reports.render`. In reading order: the summary (the rupture–repair reading, the check-in beside it,
where the two disagree, the opening suggestion), the moments with two turns of context either side and
a suggested check-in for each unrepaired one, the MITI-style indicators, and the full transcript with
each turn's labels. The timeline is given both as per-turn data and as a Vega-Lite spec.
"""

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from safeenough.analysis import keys
from safeenough.analysis.indicators import MitiIndicators, indicators_from
from safeenough.analysis.pipeline import AnalysisResult
from safeenough.analysis.relational import (
    ANTECEDENT_LABELS,
    NO_REPAIR,
    REPAIR_LABELS,
    REPAIR_WINDOW_WORDS,
    SUBTYPE_LABELS,
    RelationalSummary,
    RuptureMoment,
    count_phrase,
    relational_summary_from,
)
from safeenough.analysis.suggestions import (
    FOR_THERAPIST_ONLY,
    OPENING,
    Suggestion,
    excerpt,
    punctuated,
    suggestions_from,
)
from safeenough.domain.annotation import AnnotationValue
from safeenough.domain.conversation import Conversation, SpeakerRole
from safeenough.domain.validation import DomainError

CONTEXT_TURNS = 2
"""Turns of context shown before and after a highlighted moment."""

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"

CAVEATS = (
    "The labels are estimates by models trained on counselling transcripts; read them beside the "
    "transcript and your own memory of the session. They describe the talk, not the client.",
    '"How sure" under a moment says how often turns flagged that confidently matched a trained '
    "annotator when the model was tested on transcripts it had not seen. For ruptures it weighs the whole "
    "session: in sessions that otherwise look like good counselling, flags matched less often. Most flags "
    "are a reason to look again, not a finding.",
    "Clients report strains less often than observers see them (clients 19–42% of sessions, observers "
    "41–100%; Eubanks et al. 2018), and text alone predicts the alliance weakly (ρ = .15; Goldberg et "
    "al. 2020): the client's own check-in is the other half of the picture.",
)

SOURCES = (
    "Rupture markers and resolution strategies: Rupture Resolution Rating System (3RS), Eubanks, Muran "
    "& Safran 2015.",
    "Repaired ruptures and outcome: r = .29, 11 studies, 1,314 patients (Eubanks, Muran & Safran 2018).",
    "Indicators and thresholds: MITI 4.2.1 (Moyers et al. 2014).",
)

LANES = (
    "Client: rupture",
    "Client: anticipated judgement",
    "Therapist: check-in",
    "Therapist: repair",
    "Therapist: stance",
)
CATEGORY_COLOURS: Mapping[str, str] = {
    "confrontation": "#b3261e",
    "withdrawal": "#7a4fb5",
    "anticipated judgement": "#b35c00",
    "check-in": "#1f6f8b",
    "repair": "#2e7d32",
    "exploring": "#2f5d62",
    "neutral": "#6b777d",  # 4.6:1 on white, like every colour here at 3:1 or more
    "assuming": "#8a5a00",
    "pressing": "#8a1c14",
}
CATEGORY_SHAPES: Mapping[str, str] = {
    "confrontation": "triangle-up",
    "withdrawal": "triangle-down",
    "anticipated judgement": "diamond",
    "check-in": "circle",
    "repair": "square",
    # a filled "stroke" (a bare line) draws nothing, which left the stance lane empty; each stance has
    # its own shape, so the lane reads without telling colours apart
    "exploring": "square",
    "neutral": "cross",
    "assuming": "triangle-right",
    "pressing": "triangle-left",
}
AXIS_TEXT: Mapping[str, Any] = {
    "labelFontSize": 13,
    "titleFontSize": 13,
    "labelColor": "#1f2a2e",
    "titleColor": "#1f2a2e",
}
"""Chart text as legible as the page's own: 13 px, in the text colour (Vega's default is 10 px grey)."""


@dataclass(frozen=True, slots=True)
class CheckInItem:
    """One item of a check-in as the report shows it: its label and score (None if left blank)."""

    label: str
    score: float | None
    maximum: float | None = None


@dataclass(frozen=True, slots=True)
class CheckInSummary:
    """The client's check-in for this session, as far as the report needs it.

    `cutoff` follows the convention of alliance measures: a total at or below it flags a possible
    problem (SRS ≤ 36 of 40). Without a cut-off the report shows the check-in but does not compare it
    with the transcript.
    """

    instrument_title: str
    total: float | None
    cutoff: float | None
    date: date | None
    items: tuple[CheckInItem, ...] = ()
    free_text: str | None = None
    maximum: float | None = None
    client_name: str | None = None
    """Whose check-in, where a session had several clients (each partner answers separately)."""
    speakers: tuple[str, ...] | None = None
    """Where a session had several clients: the transcript speakers known to be this client, so that the
    check-in is compared with their moments only (None: compared with the whole session)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))
        if not self.instrument_title.strip():
            raise DomainError("a check-in summary needs the instrument's title")
        for name in ("total", "cutoff", "maximum"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not math.isfinite(value)):
                raise DomainError(f"check-in {name} must be a finite number (got {value!r})")

    @property
    def is_low(self) -> bool | None:
        """At or below the cut-off; None when there is no total or no cut-off to compare with."""
        if self.total is None or self.cutoff is None:
            return None
        return self.total <= self.cutoff

    @property
    def total_display(self) -> str:
        if self.total is None:
            return "not scorable"
        total = _number(self.total)
        return f"{total} of {_number(self.maximum)}" if self.maximum is not None else total

    @property
    def cutoff_display(self) -> str | None:
        return None if self.cutoff is None else _number(self.cutoff)

    @property
    def date_display(self) -> str | None:
        return None if self.date is None else f"{self.date.day} {self.date:%b %Y}"

    @property
    def has_comment(self) -> bool:
        return bool(self.free_text and self.free_text.strip())


@dataclass(frozen=True, slots=True)
class Disagreement:
    """Where the client's check-in and the transcript tell different stories, with both pieces of evidence."""

    kind: str
    """"possible_masking" (check-in high, unrepaired moments) or "not_in_transcript" (low, no markers)."""
    title: str
    explanation: str
    check_in_evidence: str
    transcript_evidence: str
    turns: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Badge:
    """A small label on a turn: its text, a kind for styling, and a longer title for hover/screen readers."""

    text: str
    kind: str
    title: str


@dataclass(frozen=True, slots=True)
class TimelineTurn:
    """One turn on the session timeline."""

    index: int
    role: str
    speaker: str
    marker: str | None
    subtype: str | None
    anticipates_judgement: bool
    repair: str | None
    check_in: bool
    stance: str | None

    @property
    def category(self) -> str:
        """The one thing the timeline strip shows for this turn (most salient first)."""
        if self.marker in ("confrontation", "withdrawal"):
            return self.marker
        if self.anticipates_judgement:
            return "judgement"
        if self.repair is not None:
            return "repair"
        if self.check_in:
            return "check-in"
        if self.role == SpeakerRole.THERAPIST.value:
            return f"stance-{self.stance}" if self.stance else "therapist"
        return self.role

    @property
    def description(self) -> str:
        """ "Turn 12, client: confrontation (defending self)", for hover text."""
        parts: list[str] = []
        if self.marker in ("confrontation", "withdrawal"):
            subtype = SUBTYPE_LABELS.get(self.subtype or "", "")
            parts.append(f"{self.marker} ({subtype})" if subtype else self.marker)
        if self.anticipates_judgement:
            parts.append("anticipates judgement")
        if self.repair is not None:
            parts.append(f"repair: {REPAIR_LABELS.get(self.repair, self.repair)}")
        if self.check_in:
            parts.append("check-in")
        if self.stance:
            parts.append(f"stance: {self.stance}")
        detail = "; ".join(parts)
        return f"Turn {self.index}, {self.speaker} ({self.role})" + (f": {detail}" if detail else "")


@dataclass(frozen=True, slots=True)
class ContextTurn:
    """A turn shown around a highlighted moment."""

    index: int
    speaker: str
    role: str
    text: str
    is_moment: bool
    is_repair: bool
    badges: tuple[Badge, ...]


@dataclass(frozen=True, slots=True)
class HighlightedMoment:
    """A moment with its context and, when it was not repaired, the suggested check-in for it."""

    moment: RuptureMoment
    title: str
    outcome: str
    preceded: str | None
    """What came just before, where it may matter: "Just before (turn 11), advice was given." """
    context: tuple[ContextTurn, ...]
    suggestion: Suggestion | None


@dataclass(frozen=True, slots=True)
class TranscriptTurn:
    """A turn of the full transcript with its labels as badges and, for moments, a highlight."""

    index: int
    speaker: str
    role: str
    text: str
    badges: tuple[Badge, ...]
    highlight: str | None
    """"rupture-unrepaired", "rupture-repaired", "repair", or None."""
    anchor: str


@dataclass(frozen=True, slots=True)
class SessionReport:
    """Everything on one session's report, in the order it is read."""

    conversation_id: str
    title: str
    turn_count: int
    speakers: tuple[str, ...]
    pipeline: tuple[str, ...]
    quality: float | None
    relational: RelationalSummary
    suggestions: tuple[Suggestion, ...]
    indicators: MitiIndicators
    timeline: tuple[TimelineTurn, ...]
    timeline_spec: dict[str, Any]
    moments: tuple[HighlightedMoment, ...]
    transcript: tuple[TranscriptTurn, ...]
    roles: str
    """Who is who, as the analysis took it: "Therapist: Ada · Client: Theo · Not a client: Lena"."""
    check_ins: tuple[CheckInSummary, ...]
    """One per client who returned an alliance check-in for the session (each partner in a couple)."""
    disagreements: tuple[Disagreement, ...]
    caveats: tuple[str, ...] = CAVEATS
    sources: tuple[str, ...] = SOURCES
    suggestions_note: str = FOR_THERAPIST_ONLY
    edited_suggestions: Mapping[str, str] = field(default_factory=dict)
    """The suggested words of each suggestion the therapist put in their own words (by `Suggestion.id`):
    its `text` is then the therapist's."""

    @property
    def reading(self) -> tuple[str, ...]:
        return self.relational.reading

    def addressed_to(self, suggestion: Suggestion) -> str | None:
        """Which client a suggestion about a moment is for, where several clients speak (a couple): the
        speaker of its turn. None with one client, or for an opening about no moment."""
        clients = {turn.speaker for turn in self.transcript if turn.role == SpeakerRole.CLIENT.value}
        if len(clients) < 2 or suggestion.turn is None:
            return None
        return next((turn.speaker for turn in self.transcript if turn.index == suggestion.turn), None)

    @property
    def check_in(self) -> CheckInSummary | None:
        """The (first) client's check-in; see `check_ins` for every client's."""
        return self.check_ins[0] if self.check_ins else None

    @property
    def opening_suggestion(self) -> Suggestion | None:
        return next((s for s in self.suggestions if s.purpose == OPENING), None)

    @property
    def moment_suggestions(self) -> tuple[Suggestion, ...]:
        return tuple(s for s in self.suggestions if s.purpose != OPENING)

    @property
    def quality_display(self) -> str | None:
        return None if self.quality is None else f"{round(self.quality * 100)} of 100"

    def without_suggestions(self, suggestion_ids: Collection[str]) -> "SessionReport":
        """The report without the suggestions the therapist dismissed (by `Suggestion.id`)."""
        if not suggestion_ids:
            return self
        moments = tuple(
            replace(hm, suggestion=None) if hm.suggestion and hm.suggestion.id in suggestion_ids else hm
            for hm in self.moments
        )
        kept = tuple(s for s in self.suggestions if s.id not in suggestion_ids)
        return replace(self, suggestions=kept, moments=moments)

    def with_own_words(self, own_words: Mapping[str, str]) -> "SessionReport":
        """The report with the therapist's wording of suggestions (by `Suggestion.id`) in place of the
        suggested words, which `edited_suggestions` keeps."""
        found = {s.id: s for s in self.suggestions if s.id in own_words and own_words[s.id] != s.text}
        if not found:
            return self

        def own(suggestion: Suggestion) -> Suggestion:
            if suggestion.id not in found:
                return suggestion
            return replace(suggestion, text=own_words[suggestion.id])

        moments = tuple(
            replace(hm, suggestion=own(hm.suggestion)) if hm.suggestion is not None else hm
            for hm in self.moments
        )
        suggested = {**self.edited_suggestions, **{key: s.text for key, s in found.items()}}
        return replace(
            self,
            suggestions=tuple(own(s) for s in self.suggestions),
            moments=moments,
            edited_suggestions=suggested,
        )

    @property
    def at_a_glance(self) -> tuple[tuple[str, str], ...]:
        """Label → figure pairs for the top of the report."""
        relational = self.relational
        # Each moment counts once, by its kind, as the reading and the supervision summary count it: a
        # rupture that also braces for judgement is a rupture moment (the reading says it braced), so
        # the two counts add up to the moments that "Repaired" is out of.
        return (
            ("Rupture moments", str(len(relational.ruptures))),
            ("Anticipated judgement", str(len(relational.moments) - len(relational.ruptures))),
            ("Repaired", f"{len(relational.repaired)} of {len(relational.moments)}"),
            ("Therapist check-ins", str(len(relational.check_ins))),
        )


def build_session_report(
    result: AnalysisResult,
    check_in: CheckInSummary | None = None,
    *,
    title: str | None = None,
    check_ins: Sequence[CheckInSummary] = (),
) -> SessionReport:
    """The report of an analysed session, with the client's check-in for it when there is one (or, for a
    session with several clients, `check_ins`: each client's, named)."""
    every_check_in = ((check_in,) if check_in is not None else ()) + tuple(check_ins)
    conversation = result.conversation
    annotations = result.annotations
    relational = relational_summary_from(conversation, annotations)
    suggestions = suggestions_from(relational)
    indicators = indicators_from(conversation, annotations)
    present = annotations.keys()  # (iterating an AnnotationSet gives annotations, not keys)
    by_turn = {key: annotations.by_turn(key) for key in present}

    def label(key: str, turn: int) -> AnnotationValue:
        return by_turn.get(key, {}).get(turn)

    timeline = tuple(
        TimelineTurn(
            index=turn.index,
            role=turn.role.value,
            speaker=turn.speaker,
            marker=_string(label(keys.MARKER, turn.index)),
            subtype=_string(label(keys.SUBTYPE, turn.index)),
            anticipates_judgement=label(keys.ANTICIPATES_JUDGEMENT, turn.index) is True,
            repair=_repair(label(keys.REPAIR, turn.index)),
            check_in=label(keys.CHECK_IN, turn.index) is True,
            stance=_string(label(keys.STANCE, turn.index)),
        )
        for turn in conversation.turns
    )
    badges = {turn.index: _badges(turn.index, label) for turn in conversation.turns}
    moment_turns = {m.turn: m for m in relational.moments}
    repair_turns = {m.repair_turn for m in relational.moments if m.repair_turn is not None}
    suggestion_for = {s.turn: s for s in suggestions if s.purpose != OPENING}

    moments = tuple(
        HighlightedMoment(
            moment=moment,
            title=_moment_title(moment),
            outcome=_moment_outcome(moment),
            preceded=_preceded(moment),
            context=tuple(
                ContextTurn(
                    index=turn.index,
                    speaker=turn.speaker,
                    role=turn.role.value,
                    text=turn.text,
                    is_moment=turn.index == moment.turn,
                    is_repair=turn.index == moment.repair_turn,
                    badges=badges[turn.index],
                )
                for turn in conversation.turns[
                    max(0, moment.turn - CONTEXT_TURNS) : moment.turn + CONTEXT_TURNS + 1
                ]
            ),
            suggestion=suggestion_for.get(moment.turn),
        )
        for moment in relational.moments
    )

    transcript = tuple(
        TranscriptTurn(
            index=turn.index,
            speaker=turn.speaker,
            role=turn.role.value,
            text=turn.text,
            badges=badges[turn.index],
            highlight=(
                ("rupture-repaired" if moment_turns[turn.index].repaired else "rupture-unrepaired")
                if turn.index in moment_turns
                else ("repair" if turn.index in repair_turns else None)
            ),
            anchor=f"turn-{turn.index}",
        )
        for turn in conversation.turns
    )

    quality = annotations.value(keys.QUALITY)
    return SessionReport(
        conversation_id=conversation.id,
        title=title or f"Session {conversation.id}",
        turn_count=len(conversation.turns),
        speakers=conversation.speakers,
        roles=_roles_said(conversation),
        pipeline=result.pipeline,
        quality=float(quality)
        if isinstance(quality, int | float) and not isinstance(quality, bool)
        else None,
        relational=relational,
        suggestions=suggestions,
        indicators=indicators,
        timeline=timeline,
        timeline_spec=timeline_spec(timeline),
        moments=moments,
        transcript=transcript,
        check_ins=every_check_in,
        disagreements=tuple(d for each in every_check_in for d in disagreements(each, relational)),
    )


def _roles_said(conversation: Conversation) -> str:
    by_role: dict[SpeakerRole, list[str]] = {}
    for speaker in conversation.speakers:
        role = next(turn.role for turn in conversation.turns if turn.speaker == speaker)
        by_role.setdefault(role, []).append(speaker)
    parts = []
    for role, one, many in (
        (SpeakerRole.THERAPIST, "Therapist", "Therapists"),
        (SpeakerRole.CLIENT, "Client", "Clients"),
        (SpeakerRole.OTHER, "Not a client", "Not clients"),
    ):
        names = by_role.get(role, [])
        if names:
            parts.append(f"{one if len(names) == 1 else many}: {', '.join(names)}")
    return " · ".join(parts)


def disagreements(check_in: CheckInSummary | None, relational: RelationalSummary) -> tuple[Disagreement, ...]:
    """Where the check-in and the transcript disagree: high beside unrepaired moments, low with none."""
    if check_in is None or check_in.is_low is None:
        return ()
    if check_in.speakers is not None:
        relational = relational.of_speakers(check_in.speakers)
    whose = f"{check_in.client_name}'s check-in" if check_in.client_name else "The check-in"
    wrote = f"{check_in.client_name} wrote" if check_in.client_name else "The client wrote"
    score = (
        (f"{check_in.client_name}, " if check_in.client_name else "")
        + f"{check_in.instrument_title}"
        + (f" on {check_in.date_display}" if check_in.date_display else "")
        + f": {check_in.total_display}"
    )
    unrepaired = relational.unrepaired
    if not check_in.is_low and unrepaired:
        listed = "; ".join(
            f"turn {m.turn} ({_moment_title(m).lower()}): “{excerpt(m.text, 60)}”" for m in unrepaired
        )
        return (
            Disagreement(
                kind="possible_masking",
                title=f"{whose} is high, but the transcript shows moments that were not repaired",
                explanation=(
                    "Clients report strains less often than observers see them (Eubanks et al. 2018). A "
                    "high score beside unrepaired moments may mean something was kept back, out of "
                    "politeness or deference; it is worth asking gently and directly."
                ),
                check_in_evidence=f"{score}, above the cut-off of {check_in.cutoff_display}.",
                # punctuated: a quote ending the list closes with one stop, not “… I'd try.”.
                transcript_evidence=punctuated(
                    f"{_capitalise(count_phrase(len(unrepaired), 'moment', 'moments'))} not repaired "
                    f"{REPAIR_WINDOW_WORDS}: {listed}."
                ),
                turns=tuple(m.turn for m in unrepaired),
            ),
        )
    if check_in.is_low and not relational.moments:
        low_items = [
            item
            for item in check_in.items
            if item.score is not None and item.maximum is not None and item.score < 0.9 * item.maximum
        ]
        evidence = f"{score}, at or below the cut-off of {check_in.cutoff_display}."
        if low_items:
            evidence += " Lowest: " + ", ".join(f"{i.label} {_number(i.score or 0)}" for i in low_items) + "."
        if check_in.has_comment and check_in.free_text:
            evidence += f" {wrote}: “{excerpt(check_in.free_text, 160)}”"
        return (
            Disagreement(
                kind="not_in_transcript",
                title=f"{whose} is low, but the transcript shows no rupture markers",
                explanation=(
                    "Something mattered to the client that the words on the page do not show (tone, "
                    "silence, what went unsaid), or the models missed it. The client's own account comes "
                    "first: ask about it."
                ),
                check_in_evidence=evidence,
                transcript_evidence="No withdrawal, confrontation or anticipated judgement was found.",
            ),
        )
    return ()


def timeline_spec(timeline: Sequence[TimelineTurn]) -> dict[str, Any]:
    """A Vega-Lite spec of the session: one lane per kind of event, turns along the x axis.

    No client words are in it, only labels: it is embedded in the page as JSON for vega-embed.
    """
    rows: list[dict[str, Any]] = []
    for turn in timeline:
        if turn.marker in ("confrontation", "withdrawal"):
            rows.append(_row(turn, LANES[0], turn.marker))
        if turn.anticipates_judgement:
            rows.append(_row(turn, LANES[1], "anticipated judgement"))
        if turn.check_in:
            rows.append(_row(turn, LANES[2], "check-in"))
        if turn.repair is not None:
            rows.append(_row(turn, LANES[3], "repair"))
        if turn.stance in keys.STANCES:
            rows.append(_row(turn, LANES[4], turn.stance))
    last = max((turn.index for turn in timeline), default=0)
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": "Session timeline: rupture moments, anticipated judgement, check-ins, repairs and "
        "therapist stance by turn.",
        "width": "container",
        "height": 170,
        # The legend goes under the chart, one entry a line: beside it, it left a phone no room to plot.
        "config": {
            "axis": dict(AXIS_TEXT),
            "legend": {
                **AXIS_TEXT,
                "orient": "bottom",
                "direction": "horizontal",
                "columns": 1,
                "labelLimit": 0,
            },
        },
        "data": {"values": rows},
        "mark": {"type": "point", "filled": True, "size": 90, "opacity": 1, "tooltip": True},
        "encoding": {
            "x": {
                "field": "turn",
                "type": "quantitative",
                "title": "Turn",
                "scale": {"domain": [0, max(last, 1)]},
                "axis": {"tickMinStep": 1, "format": "d"},
            },
            "y": {"field": "lane", "type": "nominal", "title": None, "sort": list(LANES)},
            "color": {
                "field": "category",
                "type": "nominal",
                "title": "Event",
                "scale": {"domain": list(CATEGORY_COLOURS), "range": list(CATEGORY_COLOURS.values())},
            },
            "shape": {
                "field": "category",
                "type": "nominal",
                "scale": {"domain": list(CATEGORY_SHAPES), "range": list(CATEGORY_SHAPES.values())},
                "title": "Event",
            },
            "tooltip": [
                {"field": "turn", "type": "quantitative", "title": "Turn"},
                {"field": "speaker", "type": "nominal", "title": "Speaker"},
                {"field": "category", "type": "nominal", "title": "Event"},
                {"field": "detail", "type": "nominal", "title": "Detail"},
            ],
            "href": {"field": "href", "type": "nominal"},
        },
    }


def _row(turn: TimelineTurn, lane: str, category: str) -> dict[str, Any]:
    detail = category
    if lane == LANES[0] and turn.subtype:
        detail = SUBTYPE_LABELS.get(turn.subtype, turn.subtype)
    elif lane == LANES[3] and turn.repair:
        detail = REPAIR_LABELS.get(turn.repair, turn.repair)
    return {
        "turn": turn.index,
        "lane": lane,
        "category": category,
        "detail": detail,
        "speaker": turn.speaker,
        "href": f"#turn-{turn.index}",
    }


def _badges(turn: int, label: Callable[[str, int], AnnotationValue]) -> tuple[Badge, ...]:
    found: list[Badge] = []
    behaviour = _string(label(keys.BEHAVIOUR, turn))
    if behaviour == "question":
        sub = _string(label(keys.QUESTION, turn))
        found.append(Badge(f"{sub} question" if sub else "question", "behaviour", "Therapist behaviour"))
    elif behaviour == "reflection":
        sub = _string(label(keys.REFLECTION, turn))
        found.append(Badge(f"{sub} reflection" if sub else "reflection", "behaviour", "Therapist behaviour"))
    elif behaviour == "therapist_input":
        sub = _string(label(keys.INPUT, turn))
        found.append(Badge(sub or "input", "behaviour", "Therapist input"))
    stance = _string(label(keys.STANCE, turn))
    if stance:
        found.append(Badge(stance, f"stance-{stance}", "Therapist stance"))
    if label(keys.CHECK_IN, turn) is True:
        found.append(Badge("check-in", "check-in", "The therapist checked in with the client"))
    repair = _repair(label(keys.REPAIR, turn))
    if repair:
        found.append(Badge(f"repair: {REPAIR_LABELS.get(repair, repair)}", "repair", "Repair strategy"))
    talk = _string(label(keys.TALK_TYPE, turn))
    if talk in ("change", "sustain"):
        found.append(Badge(f"{talk} talk", f"talk-{talk}", "Client talk type"))
    marker = _string(label(keys.MARKER, turn))
    if marker in ("withdrawal", "confrontation"):
        subtype = _string(label(keys.SUBTYPE, turn))
        text = f"{marker}: {SUBTYPE_LABELS.get(subtype, subtype)}" if subtype else marker
        found.append(Badge(text, marker, "Rupture marker (3RS)"))
    if label(keys.ANTICIPATES_JUDGEMENT, turn) is True:
        found.append(Badge("anticipates judgement", "judgement", "The client braced for criticism"))
    return tuple(found)


def _moment_title(moment: RuptureMoment) -> str:
    if moment.is_rupture:
        title = _capitalise(moment.marker)
        if moment.subtype_label:
            title += f": {moment.subtype_label}"
        if moment.anticipates_judgement:
            title += ", anticipating judgement"
        return title
    return "Anticipated judgement"


def _preceded(moment: RuptureMoment) -> str | None:
    if not moment.preceded_by or moment.preceding_turn is None:
        return None
    what = " and ".join(ANTECEDENT_LABELS[key] for key in moment.preceded_by if key in ANTECEDENT_LABELS)
    return f"Just before (turn {moment.preceding_turn}), {what}."


def _moment_outcome(moment: RuptureMoment) -> str:
    if moment.repaired:
        return f"In turn {moment.repair_turn}, by {moment.repair_label}."
    return f"No repair or check-in {REPAIR_WINDOW_WORDS}."


def _string(value: AnnotationValue) -> str | None:
    return value if isinstance(value, str) and value else None


def _repair(value: AnnotationValue) -> str | None:
    text = _string(value)
    return None if text is None or text in NO_REPAIR else text


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]
