# ruff: noqa: E501  (the cue lexicons read best one regular expression per line)
"""Cue-phrase features written from the relational annotation guide and DOMAIN.md §4–6 (our own lexicons).

Each cue is a regular expression over the lower-cased turn text. They carry the phrases the guide names
for anticipated judgement ("you probably think I'm…", "I know you're going to tell me…", "sorry, I know it
sounds bad"), check-ins ("how is this for you", "did I get that right", "is it okay if…", "I noticed
you…", "I may have come on too strong"), the 3RS markers and repair strategies, and assuming / pressing
stance. No cue was taken from the data; the same code runs in training and at run time (cheap: a few
dozen regexes per turn).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from safeenough.domain.conversation import SpeakerRole, Turn

_YOU_THINK = (
    r"you(?:'ll| will| would| probably| must| might| may|'re going to|'re gonna| are going to| are gonna)"
)

CUES: tuple[tuple[str, str], ...] = (
    # -- anticipated judgement (client) --------------------------------------------------------------
    ("aj_you_think", rf"\b{_YOU_THINK} (?:think|thinking|be thinking|judge|see me)\b(?! about)"),
    (
        "aj_you_think_i",
        r"\byou (?:\w+ )?(?:think|thinking) (?:that )?(?:i'm|i am|i'd|i was|i should|i have|me)\b",
    ),
    (
        "aj_know_you_going",
        r"\bi (?:know|knew|bet|guess|suppose|'m sure|am sure) (?:that )?you(?:'re| are|'ll| will|'d| would| were)? "
        r"(?:going to|gonna|gon na|want|wanna|about to|probably|say|tell|think)",
    ),
    ("aj_sorry", r"\b(?:sorry|i apologi[sz]e|excuse me|i don't mean to)\b"),
    (
        "aj_sounds_bad",
        r"\b(?:i know )?(?:it|that|this) (?:sounds|is|'s|seems|looks) (?:really |so |pretty )?"
        r"(?:bad|terrible|awful|stupid|silly|crazy|dumb|horrible|weird|lame)\b|\bsilly question\b",
    ),
    ("aj_judge", r"\bjudg(?:e|ed|ing|ment|mental)\b|\bcriticis|\blectur|\bpreach|\bnag(?:ging)?\b|\bscold"),
    (
        "aj_not_bad",
        r"\bi'm not (?:a bad|stupid|an idiot|crazy|lazy|a drunk|an alcoholic|an addict|a junkie|a criminal|"
        r"a bad person|that bad|dumb|irresponsible)|\bnot a bad (?:person|mom|mother|dad|father|parent)\b",
    ),
    (
        "aj_am_i",
        r"\bam i (?:being|in trouble|a bad|an? |crazy|wrong|doing something)|\bare you (?:saying|telling me)\b",
    ),
    (
        "aj_admit",
        r"\b(?:i )?(?:must |have to |gotta |'ll |will )?(?:admit|confess)\b|\bashamed\b|\bembarrass",
    ),
    (
        "aj_heard_before",
        r"\b(?:heard (?:it|this|that|them) (?:all )?before|i (?:hear|get) (?:it|that) (?:from everybody|all the time|"
        r"from everyone)|everybody (?:tells|says|keeps)|everyone (?:tells|says|keeps)|i know,? i know)\b",
    ),
    (
        "aj_i_know_should",
        r"\bi know (?:i|that i) (?:should|shouldn't|need|have to|gotta|ought)|\bi know it's (?:bad|not good|wrong)",
    ),
    # -- withdrawal / confrontation (client) ----------------------------------------------------------
    (
        "w_dont_know",
        r"\b(?:i )?(?:don't|do not|dunno|did not|didn't) (?:really )?know\b|\bdunno\b|\bno idea\b|\bnot sure\b",
    ),
    (
        "w_deferential",
        r"\bwhatever\b|\bif you say so\b|\bi guess so\b|\byou're (?:the|right)\b|\bwhat(?:ever)? you (?:think|say|want)\b|"
        r"\bsure,? (?:sure|fine|okay|whatever)\b|^\W*(?:okay|ok|fine|sure|alright|all right)\W*$",
    ),
    (
        "w_hopeless",
        r"\bnothing (?:is going to|is gonna|will|works|helps|ever)|\bno point\b|\bpointless\b|\b(?:won't|doesn't|didn't|"
        r"never|not going to|ain't gonna|wouldn't) (?:\w+ )?(?:work|help)\b|\bgive up\b|\bgave up\b|\bhopeless\b|"
        r"\btried (?:everything|it all|before|that)\b|\bcan't do it\b|\bwhat's the use\b",
    ),
    (
        "w_denial",
        r"\bi'm (?:fine|okay|ok|good|not upset|not worried)\b|\b(?:it's|that's) (?:no big deal|nothing|fine)\b",
    ),
    (
        "w_minimal",
        r"^\W*(?:yeah|yes|no|nope|nah|maybe|okay|ok|fine|sure|mm-hmm|uh-huh|i guess|not really|i suppose)\W*$",
    ),
    (
        "c_activity",
        r"\bwhy (?:are|do|would|should) (?:we|i|you) (?:talking|talk|keep|asking|ask|need to|have to|doing)|"
        r"\bwhat does (?:this|that|it) have to do\b|\bwhat's the point\b|\bwhy does it matter\b|\bwhy do you (?:care|want to know|ask)\b",
    ),
    (
        "c_therapist",
        r"\byou (?:don't|do not|can't|cannot|couldn't|wouldn't|never) (?:\w+ )?(?:understand|know|get it|listen|care)\b|"
        r"\bbut you don't\b|\byou sound like\b|\byou're (?:just|not) (?:like|listening|getting)|\bwho are you\b|\byou people\b",
    ),
    (
        "c_progress",
        r"\b(?:this|it|that|talking|counseling|counselling|therapy)(?: is|'s| isn't| is not)? (?:not )?(?:helping|working|"
        r"going anywhere)\b|\bwaste of (?:time|money)\b|\bnot getting anywhere\b",
    ),
    (
        "c_parameters",
        r"\b(?:made|make|forced|forcing|sent|sends|making) me (?:come|to come|here|go|do)\b|\bhad to come\b|\bcourt\b|"
        r"\bprobation\b|\bdon't (?:have|got) time\b|\bhow long (?:is|will) this\b|\bonly here because\b",
    ),
    (
        "c_rejects",
        r"^\W*(?:no|nah|nope)\b|\bi'm not (?:going to|gonna|doing)\b|\bi won't\b|\bthat's not (?:true|it|right|what|the)\b|"
        r"\bi (?:already|just) (?:told|said)\b|\bi'm not (?:interested|ready)\b|\bno way\b|\bnot gonna happen\b",
    ),
    (
        "c_defends",
        r"\bit's not (?:like|that bad|a big deal|a problem|my fault)|\bnot a big deal\b|\beveryone (?:does|drinks|smokes)|"
        r"\beverybody (?:does|drinks|smokes)|\bi (?:only|just) (?:have|had|drink|smoke|do)\b|\bi can (?:handle|control|stop)\b|"
        r"\bnot (?:an|a) (?:problem|issue)\b|\bi'm not (?:addicted|hurting)\b|\bat least i\b",
    ),
    (
        "c_pressures",
        r"\bjust tell me\b|\bcan you just\b|\bi need you to\b|\byou (?:have|need) to (?:tell|give|help) me\b|\bwhat do you want (?:me|from)",
    ),
    ("c_but_open", r"^\W*(?:but|well,? no|no,|yeah,? but|yes,? but|i mean,? no)\b"),
    # -- client talk type targets -------------------------------------------------------------------------
    (
        "ct_change",
        r"\bi (?:really )?(?:want|wanna|need|have|'ve got|got|should|could|can|will|'ll|plan|would like|'d like|"
        r"'m going|'m gonna|am going|'m ready|'m willing|'m trying|'m thinking about|am ready|am willing) (?:to )?"
        r"(?:quit|stop|cut|change|try|start|get|make|be|go|do|work|drink less|smoke less|lose|exercise|call)\b",
    ),
    (
        "ct_sustain",
        r"\bi (?:don't|do not|can't|cannot|won't|'m not going to|'m not gonna|couldn't) (?:really )?"
        r"(?:want|need|think|see|quit|stop|change|do|afford|give)\b|\bi (?:like|love|enjoy) (?:it|to|drinking|smoking|"
        r"my|the)\b|\bit (?:helps|relaxes|calms) me\b|\b(?:it's|that's) not (?:a problem|that bad|a big deal)\b",
    ),
    # -- therapist: check-ins ---------------------------------------------------------------------------
    (
        "ci_permission",
        r"\b(?:is|would) (?:it|that) (?:be )?(?:okay|ok|alright|all right|fine)(?: with you)?(?: if)?\b|\bwould you (?:mind|be "
        r"open|be interested|be willing|like me to)\b|\bdo you mind\b|\bmay i\b|\bcan i (?:share|ask|give|tell|offer)\b|"
        r"\bis that (?:okay|ok|alright|all right)\b|\bif you'?re (?:interested|open|okay)\b|\bpermission\b",
    ),
    (
        "ci_landing",
        r"\bhow (?:is|does|was|'s) (?:this|that|it|all this) (?:for you|sound|feel|landing|going for you|to hear)\b|"
        r"\bhow (?:does|would|did) that (?:sound|feel)\b|\bwhat(?:'s| is| was) it like (?:for you )?to hear\b|"
        r"\bwhat (?:other )?questions (?:do|did) you have|\bwhat questions\b|\bhow are we doing\b|\bhow are you feeling about (?:this|what)",
    ),
    (
        "ci_understanding",
        r"\bdid i (?:get|understand|hear|miss) (?:that|it|you|anything)\b|\b(?:does|do) (?:that|this) (?:sound|seem) "
        r"(?:about |kind of )?right\b|\bam i (?:right|getting|understanding|hearing)\b|\bcorrect me\b|\bdid i get\b|"
        r"\bis that (?:right|fair|accurate|correct)\b|\bhave i got\b",
    ),
    (
        "ci_noticing",
        r"\bi (?:noticed?|can tell|can see|sense|get the sense|'m sensing|'m noticing) (?:that )?you\b|\byou (?:went|got|"
        r"seem|seemed|look|looked) (?:quiet|upset|frustrated|uncomfortable|annoyed|tense)\b|\bbetween (?:us|you and me)\b|"
        r"\bwhat just happened\b|\bhere with me\b",
    ),
    (
        "ci_own_part",
        r"\bi (?:may|might|must) have\b|\bi (?:think i )?(?:pushed|came on|was pushing|jumped|got ahead|lectur|"
        r"overstepp)|\bmy (?:mistake|bad|fault)\b|\bi'm sorry\b|\bi apologi[sz]e\b|\btoo (?:strong|hard|fast|pushy)\b",
    ),
    (
        "t_you_think",
        r"\byou (?:probably|might|may)? ?(?:think|thinking|feel like) (?:that )?i'm (?:going to|gonna)",
    ),
    # -- therapist: repair strategies -----------------------------------------------------------------
    (
        "r_validation",
        r"\b(?:that|it) makes (?:a lot of |total |perfect |complete )?sense\b|\b(?:it's|that's|that is|it is) "
        r"(?:understandable|fair|okay|ok|normal)\b|\bi (?:can )?understand\b|\bi hear (?:you|that)\b|\byou're right\b|"
        r"\bfair enough\b|\bof course\b|\bi get (?:it|that)\b|\bno wonder\b|\bi can (?:see|imagine)\b",
    ),
    (
        "r_rationale",
        r"\bthe reason (?:i|why i|we|why we)\b|\bwhat i (?:meant|mean|was trying|'m trying)\b|\bi'm not (?:saying|suggesting|"
        r"trying to|here to)\b|\bmy (?:role|job) (?:is|here)\b|\bi (?:just )?(?:wanted|want) to (?:make sure|understand|clarify)\b|"
        r"\bjust to (?:be clear|clarify)\b",
    ),
    (
        "r_change_task",
        r"\blet's (?:leave|put|set|move|talk about something|not|come back|focus on what)\b|\bwe don't have to\b|"
        r"\bwe (?:can|could) (?:leave|come back|talk about (?:whatever|something else)|put that)\b|\bwhat would you (?:like|prefer|"
        r"rather)\b|\bup to you\b|\byour (?:call|choice|decision)\b|\bwhat (?:would|do) you want to (?:talk|focus)\b",
    ),
    # -- therapist: stance -----------------------------------------------------------------------------
    (
        "s_pressing",
        r"\byou (?:really )?(?:need|have|'ve got|got|must|should|ought) to\b|\byou (?:really )?(?:should|must|shouldn't|"
        r"can't keep)\b|\bi (?:would |'d )?(?:strongly )?(?:recommend|suggest|advise|urge)\b|\bi want you to\b|\bif you "
        r"(?:don't|keep|continue|carry on)\b|\b(?:will|could|can|is going to|gonna) (?:kill|damage|destroy|harm|hurt|ruin)\b|"
        r"\bdangerous\b|\brisks?\b|\bit's (?:really )?important (?:that|to|for you)\b|\bthe (?:best|only) (?:thing|way)\b",
    ),
    (
        "s_imperative",
        r"^\W*(?:(?:so|well|okay|ok|now|look|listen),? )*(?:stop|try|don't|quit|go|take|cut|make|think about|consider|"
        r"just|start|get|you need|you have|listen|look)\b",
    ),
    (
        "s_you_state",
        r"^\W*(?:(?:so|well|okay|ok|yeah|and|but|right|mm-hmm|uh-huh),? )*you(?:'re| are| feel| want| think| know| don't| "
        r"just| seem| sound| wanna| need| won't| can't| will| were| have| 've)\b",
    ),
    (
        "s_category",
        r"\b(?:people|guys|folks|women|men|kids) like you\b|\b(?:alcoholics|smokers|drinkers|addicts|teenagers|teens|kids|"
        r"guys|people|most people|everyone|everybody|users) (?:always|usually|often|never|tend to|all)\b|\byou're (?:just|"
        r"all|always|never)\b|\byou (?:always|never)\b",
    ),
    (
        "s_hedge",
        r"\b(?:it )?sounds like\b|\bit seems\b|\bseems like\b|\bi wonder\b|\bi'm wondering\b|\bmaybe\b|\bperhaps\b|"
        r"\bi guess\b|\bkind of\b|\bsort of\b|\bmight\b|\bcorrect me\b|\bif i'm hearing\b|\bwhat i'm hearing\b|\bi'm guessing\b|"
        r"\bi imagine\b|\bmy guess\b|\bi'm not sure\b",
    ),
    (
        "q_open",
        r"^\W*(?:(?:so|well|okay|ok|and|yeah|um|uh),? )*(?:what|how|why|tell me|describe|in what way|where|when)\b",
    ),
)

_COMPILED = tuple((name, re.compile(pattern)) for name, pattern in CUES)
NAMES = tuple(name for name, _ in CUES)
N_CUES = len(CUES)
#: per-turn extras appended after the cue flags
EXTRAS = (
    "question",
    "words_log",
    "short",
    "prev_open_question",
    "prev_question",
    "length_ratio",
    "unhedged_you",
)
N_TURN = N_CUES + len(EXTRAS)


def cue_flags(text: str) -> list[float]:
    low = text.lower().replace("’", "'")
    return [1.0 if rx.search(low) else 0.0 for _, rx in _COMPILED]


def turn_cues(turns: Sequence[Turn]) -> npt.NDArray[np.float32]:
    """n x N_TURN: the cue flags of every turn plus a few context extras (see EXTRAS)."""
    n = len(turns)
    out = np.zeros((n, N_TURN), dtype=np.float32)
    words = [len(t.text.split()) for t in turns]
    hedge = NAMES.index("s_hedge")
    you_state = NAMES.index("s_you_state")
    open_q = NAMES.index("q_open")
    for i, turn in enumerate(turns):
        flags = cue_flags(turn.text)
        question = "?" in turn.text
        prev = turns[i - 1] if i > 0 else None
        prev_flags = out[i - 1, :N_CUES] if i > 0 else np.zeros(N_CUES, dtype=np.float32)
        prev_question = prev is not None and prev.role != turn.role and "?" in prev.text
        out[i, :N_CUES] = flags
        out[i, N_CUES:] = [
            1.0 if question else 0.0,
            math.log1p(words[i]) / 5.0,
            1.0 if words[i] <= 4 else 0.0,
            1.0 if prev_question and prev_flags[open_q] > 0 else 0.0,
            1.0 if prev_question else 0.0,
            (math.log1p(words[i]) - math.log1p(words[i - 1])) / 5.0 if i > 0 else 0.0,
            1.0 if flags[you_state] and not flags[hedge] and not question else 0.0,
        ]
    return out


def role_masks(turns: Sequence[Turn]) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    th = np.array([t.role == SpeakerRole.THERAPIST for t in turns], dtype=bool)
    cl = np.array([t.role == SpeakerRole.CLIENT for t in turns], dtype=bool)
    return th, cl
