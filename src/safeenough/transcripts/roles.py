"""Who is the therapist? Named by the therapist, given by the file, or guessed with a confidence.

A guess is only a suggestion: the app shows it with its confidence and reasons and asks the therapist
to confirm before anything is analysed. The guess adds up simple cues, each of which separates
therapists from clients in counselling transcripts (checked on the AnnoMI development set with the
speaker names hidden):

- the speaker's name ("Therapist", "Counsellor", "Dr …" versus "Client", "Patient");
- the share of their turns that ask a question;
- how much more they say "you" than "I": therapists talk about the client, clients about themselves;
- typical therapist phrases ("it sounds like", "tell me more", "what brings you");
- who speaks first (usually the therapist opens).
"""

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from safeenough.domain.conversation import Conversation, SpeakerRole
from safeenough.transcripts.building import clean_speaker
from safeenough.transcripts.errors import TranscriptError

THERAPIST_NAME = re.compile(
    r"\b(therapist|counsell?or|dr|doctor|psychologist|psychotherapist|clinician|interviewer|"
    r"practitioner|facilitator|coach|social worker|nurse|psychiatrist)\b|^(t|th|ther)$",
    re.IGNORECASE,
)
CLIENT_NAME = re.compile(
    r"\b(client|patient|participant|interviewee|customer)\b|^(c|cl|p|pt)$", re.IGNORECASE
)
THERAPIST_PHRASES = re.compile(
    r"\b(it sounds like|sounds like you|you're saying|you are saying|what i'm hearing|tell me (more|about)|"
    r"how do you feel|how did (that|you) feel|what brings you|on a scale|what would it|"
    r"how (do|would) you|what do you think|you feel|you've been|you're feeling|it seems like|"
    r"if i understand|let me make sure|is it okay if|would it be okay|what else|"
    r"i'm wondering|i wonder|so you)\b",
    re.IGNORECASE,
)
WORD = re.compile(r"[a-z']+")
SECOND_PERSON = frozenset({"you", "your", "you're", "yourself", "you've", "you'd", "you'll", "yours"})
FIRST_PERSON = frozenset({"i", "i'm", "me", "my", "myself", "i've", "i'd", "i'll", "mine"})

# Weights of each cue in the score; the name outweighs the talk, because a named role is very rarely
# wrong, and the talk cues are in comparable units (shares between 0 and 1).
NAME_WEIGHT = 4.0
QUESTION_WEIGHT = 2.0
PERSON_WEIGHT = 6.0
PHRASE_WEIGHT = 1.5
FIRST_SPEAKER_WEIGHT = 0.3
# How fast confidence rises with the lead of the best-scoring speaker over the next.
CONFIDENCE_STEEPNESS = 3.0
# Turns at which the lead counts half: two lines of "Fine." say little about who is who.
EVIDENCE_TURNS = 4
MAX_GUESS_CONFIDENCE = 0.999


class RoleSource(StrEnum):
    EXPLICIT = "explicit"  # the therapist named themselves (`--therapist NAME`)
    FILE = "file"  # the file states roles (AnnoMI CSV interlocutor column)
    GUESSED = "guessed"  # worked out from the talk; ask the therapist to confirm


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    """Roles of the speakers of one conversation, and how sure we are of them."""

    therapist: str | None
    confidence: float
    source: RoleSource
    roles: tuple[tuple[str, SpeakerRole], ...]
    reasons: tuple[str, ...] = ()

    @property
    def needs_confirmation(self) -> bool:
        return self.source is RoleSource.GUESSED

    def as_dict(self) -> dict[str, SpeakerRole]:
        return dict(self.roles)

    def apply(self, conversation: Conversation) -> Conversation:
        return conversation.with_roles(self.as_dict())


@dataclass(frozen=True, slots=True)
class SpeakerCues:
    speaker: str
    score: float
    reasons: tuple[str, ...]


def assign_roles(
    conversation: Conversation,
    *,
    therapist: str | None = None,
    filename: str | None = None,
) -> RoleAssignment:
    """The therapist named (matched ignoring case and spacing), else the best guess from the talk.

    Everyone who is not the therapist is a client: in couple and family work there are several.
    """
    speakers = conversation.speakers
    if therapist is not None:
        wanted = clean_speaker(therapist).casefold()
        matches = [speaker for speaker in speakers if speaker.casefold() == wanted]
        if not matches:
            known = ", ".join(f'"{speaker}"' for speaker in speakers)
            raise TranscriptError(
                filename or conversation.id,
                f'expected the therapist "{therapist}" to be one of the speakers, who are {known}',
            )
        return _assignment(speakers, matches[0], 1.0, RoleSource.EXPLICIT, ("named by the therapist",))
    return guess_roles(conversation)


def roles_from_file(conversation: Conversation) -> RoleAssignment:
    """For files that state each turn's role: report them in the same shape as a guess."""
    roles = {turn.speaker: turn.role for turn in conversation.turns}
    therapists = [speaker for speaker, role in roles.items() if role is SpeakerRole.THERAPIST]
    return RoleAssignment(
        therapist=therapists[0] if therapists else None,
        confidence=1.0,
        source=RoleSource.FILE,
        roles=tuple(roles.items()),
        reasons=("roles given in the file",),
    )


def guess_roles(conversation: Conversation) -> RoleAssignment:
    """The most therapist-like speaker, with a confidence in [0.5, 1) from the lead over the next."""
    speakers = conversation.speakers
    if len(speakers) < 2:
        # With one voice there is nothing to compare; leave the role open for the therapist to say.
        return RoleAssignment(
            therapist=None,
            confidence=0.0,
            source=RoleSource.GUESSED,
            roles=tuple((speaker, SpeakerRole.OTHER) for speaker in speakers),
            reasons=("only one speaker: say who the therapist is",),
        )
    cues = sorted(
        (speaker_cues(conversation, speaker) for speaker in speakers),
        key=lambda cue: cue.score,
        reverse=True,
    )
    best, runner_up = cues[0], cues[1]
    # A lead seen over a handful of turns is weaker evidence than the same lead over a whole session.
    evidence = len(conversation.turns) / (len(conversation.turns) + EVIDENCE_TURNS)
    lead = (best.score - runner_up.score) * evidence
    confidence = 1 / (1 + math.exp(-CONFIDENCE_STEEPNESS * lead))
    # A guess is never certain: only the therapist's word (or the file's) gives confidence 1.
    confidence = min(round(confidence, 3), MAX_GUESS_CONFIDENCE)
    return _assignment(speakers, best.speaker, confidence, RoleSource.GUESSED, best.reasons)


def speaker_cues(conversation: Conversation, speaker: str) -> SpeakerCues:
    """How therapist-like one speaker's name and talk are; higher is more therapist-like."""
    turns = [turn for turn in conversation.turns if turn.speaker == speaker]
    words = [word for turn in turns for word in WORD.findall(turn.text.lower().replace("’", "'"))]
    reasons: list[str] = []
    score = 0.0

    if THERAPIST_NAME.search(speaker):
        score += NAME_WEIGHT
        reasons.append(f'the name "{speaker}" suggests a therapist')
    elif CLIENT_NAME.search(speaker):
        score -= NAME_WEIGHT

    question_share = sum("?" in turn.text for turn in turns) / len(turns)
    score += QUESTION_WEIGHT * question_share
    if question_share >= 0.25:
        reasons.append(f"asks questions in {question_share:.0%} of their turns")

    if words:
        you_minus_i = (sum(w in SECOND_PERSON for w in words) - sum(w in FIRST_PERSON for w in words)) / len(
            words
        )
        score += PERSON_WEIGHT * you_minus_i
        if you_minus_i > 0:
            reasons.append('says "you" more than "I"')

    phrase_rate = sum(len(THERAPIST_PHRASES.findall(turn.text)) for turn in turns) / len(turns)
    score += PHRASE_WEIGHT * min(phrase_rate, 1.0)
    if phrase_rate >= 0.2:
        reasons.append('uses therapist phrases such as "it sounds like" or "tell me more"')

    if conversation.turns[0].speaker == speaker:
        score += FIRST_SPEAKER_WEIGHT
        reasons.append("speaks first")
    return SpeakerCues(speaker=speaker, score=score, reasons=tuple(reasons))


def _assignment(
    speakers: Sequence[str],
    therapist: str,
    confidence: float,
    source: RoleSource,
    reasons: tuple[str, ...],
) -> RoleAssignment:
    roles = tuple(
        (speaker, SpeakerRole.THERAPIST if speaker == therapist else SpeakerRole.CLIENT)
        for speaker in speakers
    )
    return RoleAssignment(
        therapist=therapist, confidence=confidence, source=source, roles=roles, reasons=reasons
    )
