"""The session's rupture–repair summary, read from the turn labels of an analysis.

Markers follow the Rupture Resolution Rating System (3RS; Eubanks, Muran & Safran 2015): a client
turn whose `marker` is withdrawal (moving away) or confrontation (moving against) is a rupture moment;
a client turn that `anticipates_judgement` is a moment too, even without a marker. A moment counts as
repaired when a therapist turn makes a repair (a `repair` other than "none"/"n/a") or checks in
(`check_in`) with at most two client turns in between (the therapist's reply and the next two
exchanges): the window in which the annotation guide, and so the `repair` component, looks for a
repair. Repaired ruptures go with better outcomes (r = .29, 11 studies; Eubanks, Muran & Safran 2018),
which is why the summary shows both.

The plain-language reading is ours and generated from the data. It describes what happened in the
talk; it never diagnoses and never puts the strain on the client.
"""

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from safeenough.analysis import keys
from safeenough.analysis.addressee import answers, has_several_clients
from safeenough.analysis.pipeline import AnalysisResult
from safeenough.domain.annotation import Annotation, AnnotationSet, AnnotationValue
from safeenough.domain.conversation import Conversation, SpeakerRole, Turn

REPAIR_WINDOW_CLIENT_TURNS = 2
"""A repair or check-in answers a moment when at most this many client turns came between them (the
annotation guide's window: the marked turn is the previous client turn or one of the two before it).
In talk that alternates, that is the therapist's reply and the next two exchanges."""

REPAIR_WINDOW_WORDS = "within the next two exchanges"

NO_REPAIR = frozenset({"none", "n/a", ""})

SUBTYPE_LABELS: Mapping[str, str] = {
    "denial": "denial",
    "minimal_response": "minimal response",
    "abstract": "abstract talk",
    "topic_shift": "topic shift",
    "deferential": "deferential agreement",
    "hopeless": "hopelessness",
    "complaint_therapist": "complaint about the therapist",
    "rejects_intervention": "rejecting an intervention",
    "complaint_activity": "complaint about the activity",
    "complaint_parameters": "complaint about the arrangements",
    "complaint_progress": "complaint about progress",
    "defends_self": "defending self",
    "pressures_therapist": "pressure on the therapist",
}

REPAIR_LABELS: Mapping[str, str] = {
    "metacommunication": "talking about what was happening between them",
    "validation": "validating",
    "own_part": "owning the therapist's part",
    "rationale": "explaining the rationale",
    "change_task": "changing the task",
    "check_in": "checking in",
}

ANTECEDENT_LABELS: Mapping[str, str] = {
    "advice": "advice was given",
    "pressing": "the therapist pressed a point",
    "assuming": "the therapist stated an assumption as fact",
}

KIND_ORDER = ("confrontation", "withdrawal", "anticipated_judgement")
KIND_LABELS: Mapping[str, tuple[str, str]] = {
    "confrontation": ("confrontation moment", "confrontation moments"),
    "withdrawal": ("withdrawal moment", "withdrawal moments"),
    "anticipated_judgement": ("moment of anticipated judgement", "moments of anticipated judgement"),
}
STANCE_ORDER = keys.STANCES


@dataclass(frozen=True, slots=True)
class RuptureMoment:
    """A client turn where the client moved away from or against the work, or braced for judgement."""

    turn: int
    speaker: str
    text: str
    marker: str
    """"withdrawal", "confrontation", or "none" for anticipated judgement without a marker."""
    subtype: str | None
    anticipates_judgement: bool
    evidence_span: str | None
    repaired: bool
    repair_turn: int | None
    repair_strategy: str | None
    """A key of REPAIR_LABELS: the repair made, or "check_in" when the therapist checked in."""
    preceding_turn: int | None
    """The last therapist turn before the moment, if any."""
    preceded_by: tuple[str, ...]
    """Keys of ANTECEDENT_LABELS that describe the preceding therapist turn."""
    replying_to: str | None = None
    """Where several clients speak (a couple): the other client whose turn came just before, when the
    moment answered them rather than the therapist; None otherwise."""
    confidence: float | None = None
    """How likely a trained annotator would flag this turn too (calibrated on turns the model never saw);
    None for analyses made before the confidences were calibrated."""

    @property
    def confidence_in_ten(self) -> int | None:
        """The confidence as "about N in 10" (1–9: never certain, never nothing)."""
        if self.confidence is None:
            return None
        return min(9, max(1, round(self.confidence * 10)))

    @property
    def is_rupture(self) -> bool:
        return self.marker not in ("none", "")

    @property
    def kind(self) -> str:
        """ "confrontation", "withdrawal" or "anticipated_judgement"."""
        return self.marker if self.is_rupture else "anticipated_judgement"

    @property
    def kind_label(self) -> str:
        """ "confrontation", "withdrawal" or "anticipated judgement"."""
        return self.kind.replace("_", " ")

    @property
    def subtype_label(self) -> str | None:
        if self.subtype is None:
            return None
        return SUBTYPE_LABELS.get(self.subtype, self.subtype.replace("_", " "))

    @property
    def repair_label(self) -> str | None:
        if self.repair_strategy is None:
            return None
        return REPAIR_LABELS.get(self.repair_strategy, self.repair_strategy.replace("_", " "))


@dataclass(frozen=True, slots=True)
class TherapistCheckIn:
    """A therapist turn that checks in with the client ("what happened for you just then?")."""

    turn: int
    text: str
    after_moment: int | None
    """The moment (client turn) it follows within the repair window, if any."""


@dataclass(frozen=True, slots=True)
class RelationalSummary:
    """The rupture–repair picture of one session."""

    moments: tuple[RuptureMoment, ...]
    check_ins: tuple[TherapistCheckIn, ...]
    stance_counts: Mapping[str, int]
    stance_shares: Mapping[str, float]
    """Share of each stance among the therapist turns that have one; empty when none have."""
    reading: tuple[str, ...]
    """Sentences of the plain-language reading, in order."""

    def of_speakers(self, speakers: Collection[str]) -> "RelationalSummary":
        """The same picture with only these speakers' moments (e.g. one partner's in a couple session)."""
        return replace(self, moments=tuple(m for m in self.moments if m.speaker in speakers))

    @property
    def ruptures(self) -> tuple[RuptureMoment, ...]:
        """Moments with a withdrawal or confrontation marker (anticipated judgement alone excluded)."""
        return tuple(moment for moment in self.moments if moment.is_rupture)

    @property
    def repaired(self) -> tuple[RuptureMoment, ...]:
        return tuple(moment for moment in self.moments if moment.repaired)

    @property
    def unrepaired(self) -> tuple[RuptureMoment, ...]:
        return tuple(moment for moment in self.moments if not moment.repaired)

    @property
    def by_kind(self) -> dict[str, tuple[RuptureMoment, ...]]:
        """Kind → its moments, for the kinds that occur, confrontation first."""
        grouped = {kind: tuple(m for m in self.moments if m.kind == kind) for kind in KIND_ORDER}
        return {kind: moments for kind, moments in grouped.items() if moments}

    @property
    def reading_text(self) -> str:
        return " ".join(self.reading)

    def summary(self) -> dict[str, object]:
        """The figures under the research export's summary keys."""
        return {
            "ruptures": len(self.ruptures),
            "repaired": sum(moment.repaired for moment in self.ruptures),
            "check_ins": len(self.check_ins),
            # Every stance is named even without therapist turns, with null shares then (no turns to share).
            "stance_shares": {name: self.stance_shares.get(name) for name in STANCE_ORDER},
        }


def summarise_relational(result: AnalysisResult) -> RelationalSummary:
    """The rupture–repair summary of an analysed session."""
    return relational_summary_from(result.conversation, result.annotations)


def relational_summary_from(conversation: Conversation, annotations: AnnotationSet) -> RelationalSummary:
    turns = conversation.turns
    marker = annotations.by_turn(keys.MARKER)
    marker_found = annotations.annotations_by_turn(keys.MARKER)
    subtype = annotations.by_turn(keys.SUBTYPE)
    anticipates = annotations.by_turn(keys.ANTICIPATES_JUDGEMENT)
    anticipates_found = annotations.annotations_by_turn(keys.ANTICIPATES_JUDGEMENT)
    evidence = annotations.by_turn(keys.EVIDENCE_SPAN)
    repair = annotations.by_turn(keys.REPAIR)
    check_in = annotations.by_turn(keys.CHECK_IN)
    stance = annotations.by_turn(keys.STANCE)
    behaviour = annotations.by_turn(keys.BEHAVIOUR)
    given_input = annotations.by_turn(keys.INPUT)

    moments: list[RuptureMoment] = []
    several = has_several_clients(turns)
    for turn in turns:
        if turn.role is not SpeakerRole.CLIENT:
            continue
        marked = _text(marker.get(turn.index)) or "none"
        braced = anticipates.get(turn.index) is True
        if marked == "none" and not braced:
            continue
        repair_turn, strategy = _repair_after(turns, turn.index, repair, check_in, stance, several)
        preceding = _therapist_before(turns, turn.index)
        moments.append(
            RuptureMoment(
                turn=turn.index,
                speaker=turn.speaker,
                text=turn.text,
                marker=marked,
                subtype=_text(subtype.get(turn.index)) or None if marked != "none" else None,
                anticipates_judgement=braced,
                evidence_span=_text(evidence.get(turn.index)) or None,
                repaired=repair_turn is not None,
                repair_turn=repair_turn,
                repair_strategy=strategy,
                preceding_turn=preceding,
                preceded_by=_antecedents(preceding, stance, behaviour, given_input),
                replying_to=_partner_before(turns, turn),
                confidence=calibrated_confidence(
                    marker_found.get(turn.index) if marked != "none" else anticipates_found.get(turn.index)
                ),
            )
        )

    check_ins = tuple(
        TherapistCheckIn(
            turn=turn.index,
            text=turn.text,
            after_moment=next(
                (m.turn for m in reversed(moments) if turn.index in _answering_turns(turns, m.turn, several)),
                None,
            ),
        )
        for turn in turns
        if turn.role is SpeakerRole.THERAPIST and check_in.get(turn.index) is True
    )

    therapist_turns = {turn.index for turn in turns if turn.role is SpeakerRole.THERAPIST}
    counted = Counter(value for t, value in stance.items() if t in therapist_turns and value in STANCE_ORDER)
    stance_counts = {name: counted.get(name, 0) for name in STANCE_ORDER}
    total = sum(stance_counts.values())
    stance_shares = {name: count / total for name, count in stance_counts.items()} if total else {}

    moments_tuple = tuple(moments)
    clients = tuple(dict.fromkeys(turn.speaker for turn in turns if turn.role is SpeakerRole.CLIENT))
    return RelationalSummary(
        moments=moments_tuple,
        check_ins=check_ins,
        stance_counts=stance_counts,
        stance_shares=stance_shares,
        reading=_reading(moments_tuple, check_ins, stance_shares, len(turns), clients),
    )


#: the first version of each component whose confidences are calibrated
_CALIBRATED_FROM = {"rupture_markers": 3, "anticipated_judgement": 2, "check_in": 2, "repair": 4}


def calibrated_confidence(annotation: Annotation | None) -> float | None:
    """The annotation's confidence if its component calibrates it (older analyses stored raw scores)."""
    if annotation is None or annotation.confidence is None:
        return None
    name, _, version = annotation.produced_by.rpartition(".v")
    if not version.isdigit() or int(version) < _CALIBRATED_FROM.get(name, 1_000):
        return None
    return annotation.confidence


def _text(value: AnnotationValue) -> str:
    return value if isinstance(value, str) else ""


NOT_REPAIRING_STANCES = frozenset({"pressing", "assuming"})


def _repair_after(
    turns: Sequence[Turn],
    moment: int,
    repair: Mapping[int, AnnotationValue],
    check_in: Mapping[int, AnnotationValue],
    stance: Mapping[int, AnnotationValue],
    several_clients: bool,
) -> tuple[int | None, str | None]:
    for index in _answering_turns(turns, moment, several_clients):
        made = _text(repair.get(index))
        if made not in NO_REPAIR:
            return index, made
        # "Can we talk about the grief?" asked while pressing the point is a check-in in form, but it
        # goes on with what strained the work; repair is non-defensive attention to the client's stance.
        if check_in.get(index) is True and stance.get(index) not in NOT_REPAIRING_STANCES:
            return index, "check_in"
    return None, None


def _answering_turns(turns: Sequence[Turn], moment: int, several_clients: bool) -> list[int]:
    """The therapist turns after a client's moment that can answer it: those before clients have spoken
    `REPAIR_WINDOW_CLIENT_TURNS` more times and, with several clients, turned to the moment's speaker
    (`analysis.addressee`)."""
    answering: list[int] = []
    client_turns = 0
    speaker = turns[moment].speaker
    for index in range(moment + 1, len(turns)):
        if turns[index].role is SpeakerRole.CLIENT:
            client_turns += 1
            if client_turns > REPAIR_WINDOW_CLIENT_TURNS:
                break
        elif turns[index].role is SpeakerRole.THERAPIST and answers(
            turns, index, speaker, several_clients=several_clients
        ):
            answering.append(index)
    return answering


def _therapist_before(turns: Sequence[Turn], moment: int) -> int | None:
    for index in range(moment - 1, -1, -1):
        if turns[index].role is SpeakerRole.THERAPIST:
            return index
    return None


def _partner_before(turns: Sequence[Turn], moment: Turn) -> str | None:
    """The other client whose turn came just before the moment, if it was another client's."""
    if moment.index == 0:
        return None
    before = turns[moment.index - 1]
    if before.role is SpeakerRole.CLIENT and before.speaker != moment.speaker:
        return before.speaker
    return None


def _antecedents(
    preceding: int | None,
    stance: Mapping[int, AnnotationValue],
    behaviour: Mapping[int, AnnotationValue],
    given_input: Mapping[int, AnnotationValue],
) -> tuple[str, ...]:
    if preceding is None:
        return ()
    found: list[str] = []
    if behaviour.get(preceding) == "therapist_input" and given_input.get(preceding) == "advice":
        found.append("advice")
    if stance.get(preceding) == "pressing":
        found.append("pressing")
    if stance.get(preceding) == "assuming":
        found.append("assuming")
    return tuple(found)


NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def count_phrase(count: int, singular: str, plural: str) -> str:
    """2 → "two confrontation moments"; 12 → "12 …"."""
    number = NUMBER_WORDS[count] if count < len(NUMBER_WORDS) else str(count)
    return f"{number} {singular if count == 1 else plural}"


def _some(count: int, total: int) -> str:
    """How many of a group: "both", "all three", "one", "two"."""
    if count == total:
        if total == 1:
            return ""
        return "both" if total == 2 else "all"
    return NUMBER_WORDS[count] if count < len(NUMBER_WORDS) else str(count)


def _turn_list(turns: Sequence[int]) -> str:
    labels = [str(turn) for turn in turns]
    if len(labels) == 1:
        return f"turn {labels[0]}"
    return f"turns {', '.join(labels[:-1])} and {labels[-1]}"


def _whose_turns(group: Sequence[RuptureMoment], clients: Sequence[str]) -> str:
    """ "turns 5 and 17", or with several clients (a couple) each one's: "Morgan: turns 5 and 17; Alex:
    turn 11". Whose moments they were matters there: a split alliance, one partner moving away while the
    other stays engaged, goes with poorer outcomes (r = .316; Friedlander et al. 2018)."""
    if len(clients) < 2:
        return _turn_list([m.turn for m in group])
    speakers = dict.fromkeys(m.speaker for m in group)
    return "; ".join(
        f"{speaker}: {_turn_list([m.turn for m in group if m.speaker == speaker])}" for speaker in speakers
    )


def _who(moments: Sequence[RuptureMoment], clients: Sequence[str]) -> str:
    """ "the client", or with several clients the speaker's name (or "the clients" if they differ)."""
    if len(clients) < 2:
        return "the client"
    speakers = list(dict.fromkeys(m.speaker for m in moments))
    return speakers[0] if len(speakers) == 1 else "the clients"


def _which(members: Sequence[RuptureMoment], total: int) -> str:
    """ "one (turn 7)": how many of a group, naming the turns when they are not all of it, so the reader
    knows which moment a clause is about ("one after advice…; one repaired…" may be two different ones)."""
    some = _some(len(members), total)
    if len(members) == total or total == 1:
        return some
    return f"{some} ({_turn_list([m.turn for m in members])})"


def _capitalise(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


#: below this many turns the reading says that the transcript is short: a handful of turns gives the
#: models, and the indicators, little to go on, and a single flag weighs much more than in a full session
SHORT_SESSION_TURNS = 10


def _reading(
    moments: tuple[RuptureMoment, ...],
    check_ins: tuple[TherapistCheckIn, ...],
    stance_shares: Mapping[str, float],
    turn_count: int = SHORT_SESSION_TURNS,
    clients: Sequence[str] = (),
) -> tuple[str, ...]:
    sentences: list[str] = []
    if not moments:
        sentences.append(
            "No rupture markers or anticipated judgement were found in the transcript. That is not proof "
            "that there were none; the client's own check-in is the other half of the picture."
        )
    for kind in KIND_ORDER:
        group = [m for m in moments if m.kind == kind]
        if not group:
            continue
        singular, plural = KIND_LABELS[kind]
        parts = [f"{count_phrase(len(group), singular, plural)} ({_whose_turns(group, clients)})"]
        parts.extend(_antecedent_phrases(group))
        repaired = [m for m in group if m.repaired]
        parts.append(_repaired_phrase(group, repaired))
        sentences.append(_capitalise(f"{parts[0]}, {'; '.join(parts[1:])}."))
        # A rupture moment that also braces for judgement is counted once, as the rupture (as the
        # at-a-glance figures and the supervision summary count it); the reading still says so.
        braced = [m for m in group if kind != "anticipated_judgement" and m.anticipates_judgement]
        if braced:
            where = _turn_list([m.turn for m in braced])
            sentences.append(f"In {where} {_who(braced, clients)} also braced for judgement.")
    sentences.extend(_where_to_start(moments))

    if check_ins:
        sentence = f"The therapist checked in {_times(len(check_ins))}"
        following = sum(c.after_moment is not None for c in check_ins)
        if following:
            who = "it" if len(check_ins) == 1 else (_some(following, len(check_ins)) or "it")
            sentence += f"; {who} came {REPAIR_WINDOW_WORDS} after a marked moment"
        sentences.append(sentence + ".")
    elif moments:
        sentences.append("The therapist did not check in during this session.")

    if stance_shares:
        ordered = sorted(
            ((name, share) for name, share in stance_shares.items() if share > 0),
            key=lambda item: (-item[1], STANCE_ORDER.index(item[0])),
        )
        described = ", ".join(f"{name} {round(share * 100)}%" for name, share in ordered)
        sentences.append(f"Therapist stance: {described}.")
    if 0 < turn_count < SHORT_SESSION_TURNS:
        sentences.append(
            f"This transcript is short ({count_phrase(turn_count, 'turn', 'turns')}): there is little talk "
            "for the labels and figures to rest on, so read the turns themselves."
        )
    return tuple(sentences)


#: "about N in 10" from which a flag counts as one the model is fairly sure of. In testing (models
#: 2025.6, grouped cross-validation), rupture flags shown at 5 in 10 or more matched a trained annotator
#: about 7 times in 10, the others about 2 times in 10 (docs/model-card.md, "2025.6").
SURE_IN_TEN = 5


def _where_to_start(moments: Sequence[RuptureMoment]) -> list[str]:
    """With two or more moments, which the model is surer of, so a busy reader knows where to start."""
    rated = [m for m in moments if m.confidence_in_ten is not None]
    if len(rated) < 2:
        return []
    surer = [m for m in rated if (m.confidence_in_ten or 0) >= SURE_IN_TEN]
    others = [m for m in rated if (m.confidence_in_ten or 0) < SURE_IN_TEN]
    if not surer:
        return [
            f"The model is not sure of any of these moments (about {_in_ten(others)} in 10 each): read them "
            "as places to look, not findings."
        ]
    if not others:
        return []
    return [
        f"The model is surer of {_turn_list([m.turn for m in surer])} (about {_in_ten(surer)} in 10) than "
        f"of the {'other' if len(others) == 1 else 'others'} (about {_in_ten(others)} in 10): read "
        f"{'that one' if len(surer) == 1 else 'those'} first."
    ]


def _in_ten(moments: Sequence[RuptureMoment]) -> str:
    """ "3" or "2 to 4": the range of the moments' "about N in 10"."""
    values = [m.confidence_in_ten or 0 for m in moments]
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low} to {high}"


def _antecedent_phrases(group: Sequence[RuptureMoment]) -> list[str]:
    """ "both after advice was given and the therapist pressed a point; one (turn 7) after the therapist
    stated an assumption as fact": antecedents joined only when they came before the same moments (joined
    by how many, "one after advice and an assumption" would say that one moment had both)."""
    by_moments: dict[tuple[int, ...], list[str]] = {}
    for antecedent, phrase in ANTECEDENT_LABELS.items():
        after = tuple(m.turn for m in group if antecedent in m.preceded_by)
        if after:
            by_moments.setdefault(after, []).append(phrase)
    return [
        f"{_which([m for m in group if m.turn in turns], len(group))} after {' and '.join(phrases)}".strip()
        for turns, phrases in sorted(by_moments.items(), key=lambda item: (-len(item[0]), item[0]))
    ]


def _repaired_phrase(group: Sequence[RuptureMoment], repaired: Sequence[RuptureMoment]) -> str:
    total = len(group)
    if not repaired:
        return f"not repaired {REPAIR_WINDOW_WORDS}" if total == 1 else f"none repaired {REPAIR_WINDOW_WORDS}"
    labels = Counter(m.repair_label for m in repaired if m.repair_label)
    how = " and ".join(f"by {label}" for label in labels)
    if len(repaired) == total:
        who = "" if total == 1 else ("both " if total == 2 else "all ")
    else:
        who = f"{_which(repaired, total)} "
    return f"{who}repaired {how}".strip()


def _times(count: int) -> str:
    if count == 1:
        return "once"
    if count == 2:
        return "twice"
    return f"{count_phrase(count, 'time', 'times')}"
