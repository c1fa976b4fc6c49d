"""Which formulation domains a client statement seems to speak to, for suggestions from transcripts.

The therapist sees client statements from analysed sessions that look like they belong to a domain of
the client map (DOMAIN.md §7) and accepts, edits or dismisses each one: nothing enters the map
unconfirmed. This module only ranks candidates; it never decides.

Two parts, both ours and both documented in docs/formulation-classifier.md:

1. A **lexicon**: for each domain, phrases that a client speaking to it tends to use ("growing up",
   "my last therapist", "feel safe"), each with a hand-set weight in (0, 1). A statement's lexicon score
   for a domain is ``1 - prod(1 - weight)`` over the distinct phrases it contains. Alone, it is the
   fallback when the embedding model is not installed or fails.
2. A **head** over sentence embeddings (int8 MiniLM, `analysis.models.encoder`) and the nine lexicon
   scores: one logistic regression per domain, trained with numpy on our synthetic, labelled statements
   (`training/formulation/`), with Platt scaling fitted on cross-validated predictions, so its numbers are
   roughly calibrated probabilities. The weights are `models/weights/formulation_domains.npz`, loaded
   lazily, once per process.

Statements of fewer than three words ("Yeah.", "I don't know.") never get a domain.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]

DOMAINS: tuple[str, ...] = (
    "presenting_concerns",
    "goals",
    "values",
    "relationships",
    "family_history",
    "culture_identity",
    "strengths_resources",
    "safety_meaning",
    "past_help",
)

DOMAIN_NAMES: Mapping[str, str] = {
    "presenting_concerns": "Presenting concerns",
    "goals": "Goals",
    "values": "Values",
    "relationships": "Relationships",
    "family_history": "Family and history",
    "culture_identity": "Culture and identity",
    "strengths_resources": "Strengths and resources",
    "safety_meaning": "What safety means to them",
    "past_help": "Earlier experiences of help",
}

WEIGHTS_FILE = "formulation_domains.npz"
LEXICON_THRESHOLD = 0.5
"""Lexicon-only fallback: a domain is offered when its lexicon score reaches this."""
MAX_DOMAINS = 3
MIN_WORDS = 3

Method = Literal["auto", "hybrid", "lexicon"]

_NUMBER_WORDS = "five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|\\d{1,2}"

# Each cue is a case-insensitive regular expression and a weight: roughly, how likely a statement that
# contains it is to belong to the domain. Written by us from the domain definitions, not learned.
LEXICON: Mapping[str, tuple[tuple[str, float], ...]] = {
    "presenting_concerns": (
        (r"\banxi(?:ety|ous)\b", 0.7),
        (r"\bpanic", 0.6),
        (r"\bdepress(?:ed|ion|ive)\b", 0.75),
        (r"\b(?:low|flat|numb|empty|hopeless|worthless)\b", 0.45),
        (r"\binsomnia\b|\bnightmares\b|\b(?:not|can'?t|cannot|barely) (?:been )?sleep(?:ing)?\b", 0.7),
        (r"\b(?:drinking|drunk|alcohol|booze|hangovers?)\b", 0.5),
        (r"\bgambl(?:e|ing)\b|\b(?:weed|cocaine|coke|drugs)\b", 0.55),
        (r"\bsmok(?:e|ing)\b|\bcigarettes?\b|\bvap(?:e|ing)\b", 0.45),
        (
            r"\bself[- ]harm|\bcutting\b|\bsuicid|\bend(?:ing)? (?:it|my life)\b|\bbetter off without me\b",
            0.8,
        ),
        (r"\bintrusive thoughts?\b|\bflashbacks?\b|\bobsess|\bcompulsi|\bchecking\b|\bocd\b|\bptsd\b", 0.65),
        (r"\bstress(?:ed|ful)?\b|\bburn(?:ing|t|ed)? ?out\b|\boverwhelm", 0.55),
        (r"\bcan'?t cope\b|\bnot coping\b|\bstruggl(?:e|ing)\b|\bfalling apart\b", 0.55),
        (r"\b(?:worry|worries|worrying)\b", 0.4),
        (r"\b(?:temper|anger|angry|rage|snapping)\b", 0.5),
        (r"\b(?:binge|bingeing|purging|not eating|can'?t eat|lost (?:a stone|weight))\b", 0.6),
        (r"\b(?:crying|tearful|exhausted|dread|on edge)\b", 0.45),
        (r"\b(?:brought me here|the reason I'?m here|my main problem|the main thing)\b", 0.6),
        (r"\b(?:grief|grieving|bereave\w*|miscarriage)\b", 0.5),
        (r"\bcan'?t (?:get out of bed|face|concentrate|stop)\b|\bstopped going out\b", 0.5),
    ),
    "goals": (
        (r"\bI'?d (?:really )?(?:like|love) (?:to|us to)\b", 0.7),
        (r"\bI (?:really )?want to\b|\bI wanna\b", 0.55),
        (
            r"\bmy (?:goal|aim|hope)\b|\bwhat I want\b|\bwhat I'?m after\b|\bI'?m aiming\b|\bI'?m hoping\b",
            0.75,
        ),
        (r"\b(?:be able to|get back to|get to a point|get to where)\b", 0.55),
        (r"\b(?:by the end of|by the summer|by next|in six months|long term|eventually|ideally)\b", 0.5),
        (r"\bwhat would success\b|\bif this works\b|\bif I could\b|\bI wish I could\b", 0.6),
        (r"\b(?:stop|quit|cut down|reduce|give up)\b", 0.35),
    ),
    "values": (
        (r"\bmatters? (?:more |most )?to me\b|\bwhat matters\b", 0.8),
        (r"\b(?:important|precious) to me\b|\bmost important\b", 0.7),
        (r"\bI (?:really )?value\b|\bI (?:still )?believe\b|\bI'?ve always believed\b|\bbelieve in\b", 0.7),
        (r"\bI care (?:a lot |deeply |most )?about\b|\bwhat I care about\b", 0.7),
        (r"\bprinciples?\b|\bintegrity\b|\bmeaning(?:ful)?\b|\bmean something\b", 0.65),
        (
            r"\b(?:honesty|loyalty|fairness|kindness|respect|justice|freedom|independence|courage|humility"
            r"|tradition|authentic(?:ity)?|creativity)\b",
            0.5,
        ),
        (
            r"\bis everything\b|\bcomes first\b|\bhow I (?:try to )?live\b|\bwhat life'?s about\b"
            r"|\bgets me up in the morning\b|\bpart of who I am\b",
            0.6,
        ),
        (r"\blook up to\b|\bproud of\b", 0.35),
    ),
    "relationships": (
        (r"\bmy (?:partner|husband|wife|boyfriend|girlfriend|ex|ex-\w+|fianc[ée]e?|spouse)\b", 0.7),
        (r"\bmy (?:best )?(?:friends?|mates?)\b|\bfriendships?\b", 0.55),
        (
            r"\bmy (?:boss|manager|colleagues?|team|co-?workers?|flatmates?|housemates?|neighbou?rs?)\b",
            0.55,
        ),
        (
            r"\bmy (?:son|daughter|kids|children|child|stepdaughter|stepson|grandkids|grandchildren"
            r"|in-laws|mother-in-law|father-in-law)\b",
            0.55,
        ),
        (
            r"\b(?:we'?ve been together|dating|relationships?|marriage|married|divorce|broke up|break-?up)\b",
            0.55,
        ),
        (r"\b(?:argument|arguing|rows?|fight|fell out|falling out)\b", 0.4),
        (r"\b(?:push people away|no one to talk to|burden on)\b", 0.5),
        (r"\b(?:men|women|people) who\b", 0.3),
    ),
    "family_history": (
        (
            r"\bmy (?:father|dad|mum|mom|mother|parents?|stepdad|stepmum|stepmother|stepfather|nan|nana|gran"
            r"|granny|grandma|grandmother|grandfather|grandad|uncle|aunt|auntie)\b",
            0.45,
        ),
        (
            r"\b(?:mum and dad|mom and dad|siblings?)\b"
            r"|\bmy (?:older|younger|little|big) (?:brother|sister)s?\b",
            0.45,
        ),
        (r"\bgrowing up\b|\bgrew up\b|\bupbringing\b|\bbrought up\b|\braised (?:me|us|myself|to)\b", 0.8),
        (
            r"\bas a (?:child|kid|teenager|little girl|little boy)\b|\bas kids\b|\bchildhood\b"
            r"|\bwhen I was (?:little|young|small|a (?:child|kid|teenager|baby))\b",
            0.85,
        ),
        (rf"\bwhen I was (?:{_NUMBER_WORDS})\b|\b(?:at age|aged) (?:{_NUMBER_WORDS})\b", 0.7),
        (r"\bin (?:my|our) family\b|\bour house\b|\bruns in the family\b|\bgolden child\b", 0.65),
        (r"\b(?:boarding school|primary school|secondary school|school plays?|foster|adopted)\b", 0.6),
        (r"\b(?:used to|never once|always said)\b", 0.3),
        (r"\b(?:first|earliest) memor(?:y|ies)\b|\bback when\b|\bback then\b", 0.65),
    ),
    "culture_identity": (
        (
            r"\bmy (?:faith|culture|religion|church|mosque|temple|synagogue|community|heritage|roots|accent"
            r"|identity)\b",
            0.8,
        ),
        (r"\b(?:culture|cultural|identity|religio(?:n|us)|faith|pray(?:er)?|god|church|mosque)\b", 0.5),
        (r"\b(?:muslim|islam|christian|catholic|jewish|hindu(?:ism)?|sikh|buddhis[tm]|protestant)\b", 0.75),
        (
            r"\b(?:gay|lesbian|bisexual|queer|trans|transgender|non-binary|nonbinary|genderfluid"
            r"|misgender\w*|(?:came|coming) out (?:to|as))\b",
            0.8,
        ),
        (r"\b(?:black|brown|asian|mixed race|ethnic\w*|racis\w*|race)\b", 0.6),
        (
            r"\b(?:immigra\w*|refugee|asylum|visa|emigrat\w*|migrat\w*|where I come from|back home"
            r"|between two worlds)\b",
            0.7,
        ),
        (
            r"\b(?:polish|irish|nigerian|ghanaian|turkish|welsh|scottish|chinese|indian|pakistani|bangladeshi"
            r"|jamaican|caribbean|african|british|punjabi|urdu|arabic|somali|romanian|traveller|bsl)\b",
            0.55,
        ),
        (r"\b(?:working[- ]class|middle[- ]class|first (?:person )?in my family|on benefits)\b", 0.65),
        (r"\b(?:disabled|disability|autis\w*|adhd|neurodivergent|deaf|wheelchair|veteran|carer)\b", 0.6),
        (
            r"\bas an? (?:black|asian|gay|trans|muslim|jewish|woman|man|immigrant)\b"
            r"|\bbeing an? (?:man|woman)\b",
            0.6,
        ),
    ),
    "strengths_resources": (
        (r"\bI'?m (?:really |quite |pretty )?(?:good|great) (?:at|with)\b|\bI'?m a good \w+", 0.75),
        (
            r"\bwhat helps\b|\bhelps? me\b|\bhas helped\b|\bdone wonders\b|\bmakes? a (?:big )?difference\b",
            0.6,
        ),
        (
            r"\bkeeps? me (?:going|sane|steady|grounded)\b|\bgets? me through\b|\blifeline\b|\bmy rock\b"
            r"|\bmy escape\b|\bmy comfort\b",
            0.8,
        ),
        (r"\b(?:got through|survived|coped with|I know I can|I managed to|don'?t give up|sober for)\b", 0.6),
        (
            r"\bI'?m (?:really |quite |pretty )?(?:resilient|determined|stubborn|brave|patient|creative"
            r"|organi[sz]ed|practical|funny|self-aware|strong)\b",
            0.7,
        ),
        (r"\b(?:calms? me|clears? my head|lifts my mood|unwind|relax(?:es)? me)\b", 0.65),
        (
            r"\b(?:swimming|running|walks?|walking|gym|yoga|music|gardening|journal\w*|painting|reading|cooking"
            r"|baking|guitar|my dog)\b",
            0.35,
        ),
        (r"\b(?:supportive|support me|there for me|check in on me|can always talk to)\b", 0.55),
    ),
    "safety_meaning": (
        (
            r"\b(?:feel|felt|feeling) (?:safe|safer|safest|unsafe)\b"
            r"|\bsafety\b|\bsafe (?:means|to me|when)\b",
            0.85,
        ),
        (r"\btrust(?:ing|ed)?\b", 0.6),
        (r"\bjudg(?:e|ed|ing|ement|mental)\b", 0.65),
        (r"\b(?:let my guard down|open(?:ing)? up|guard up|the catch|hidden agendas?)\b", 0.65),
        (r"\b(?:you'?ll|you will|you'?d|you might) (?:think|judge|tell|give up)\b|\bthink less of me\b", 0.7),
        (r"\b(?:scared|afraid|worried|frightened) (?:that|of what|you|about being)\b", 0.45),
        (r"\b(?:confidential\w*|on my record|what happens to what I say|what you'?re writing)\b", 0.7),
        (
            r"\b(?:believed|taken seriously|told off|criticis\w*|raise(?:s|d)? (?:your|their|his) voices?)\b",
            0.5,
        ),
        (
            r"\b(?:go slowly|too much|pushed|shut down|watch what I say|near the door|the exit"
            r"|being watched)\b",
            0.4,
        ),
    ),
    "past_help": (
        (
            r"\b(?:last|previous|old|former|other) "
            r"(?:therapist|counsell?or|psychologist|psychiatrist|person)\b",
            0.85,
        ),
        (
            r"\b(?:therap(?:y|ist|ists)|counsell?(?:ing|or|ors)|psychologist|psychiatrist|psychotherap\w*)\b",
            0.6,
        ),
        (
            r"\b(?:cbt|dbt|emdr|iapt|talking therap\w*|hypnotherap\w*|acupuncture|mindfulness|group therapy"
            r"|support group|workshop|online course)\b",
            0.75,
        ),
        (
            r"\b(?:antidepressants?|sertraline|citalopram|fluoxetine|prozac|mirtazapine|diazepam|valium"
            r"|medication|meds|tablets|pills)\b",
            0.65,
        ),
        (
            r"\b(?:gp|nhs|waiting list|crisis team|mental health (?:team|nurse|services?)|helpline|samaritans"
            r"|rehab|sectioned|in hospital|aa meetings?|na meetings?|headspace)\b",
            0.6,
        ),
        (r"\b(?:saw|seen|seeing|went to|tried|referred) (?:a |someone|somebody|to)\b", 0.35),
        (r"\blast time\b|\bfirst time\b|\ba professional\b", 0.3),
    ),
}

_CUES: Mapping[str, tuple[tuple[re.Pattern[str], float], ...]] = {
    domain: tuple((re.compile(pattern, re.IGNORECASE), weight) for pattern, weight in cues)
    for domain, cues in LEXICON.items()
}
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
_WORD = re.compile(r"[A-Za-z0-9']+")


def lexicon_fingerprint() -> str:
    """sha256 of the domains and the lexicon: the trained head is only used with the lexicon it saw."""
    payload = json.dumps({"domains": DOMAINS, "lexicon": LEXICON}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def normalise(text: str) -> str:
    return " ".join(text.translate(_QUOTES).split())


def is_small_talk(text: str) -> bool:
    """Too short to say anything about a domain ("Yeah.", "Mm-hmm.", "I don't know")."""
    return len(_WORD.findall(normalise(text))) < MIN_WORDS


def matched_cues(text: str) -> dict[str, list[str]]:
    """The phrases of each domain's lexicon found in `text`, as written: the "why" of a suggestion."""
    clean = normalise(text)
    found: dict[str, list[str]] = {}
    for domain in DOMAINS:
        hits = [m.group(0) for pattern, _ in _CUES[domain] if (m := pattern.search(clean))]
        if hits:
            found[domain] = hits
    return found


def lexicon_scores(texts: list[str]) -> FloatArray:
    """Per text and domain, ``1 - prod(1 - weight)`` over the domain's cues found (shape: n x 9)."""
    out = np.zeros((len(texts), len(DOMAINS)), dtype=np.float32)
    for i, text in enumerate(texts):
        clean = normalise(text)
        for j, domain in enumerate(DOMAINS):
            miss = 1.0
            for pattern, weight in _CUES[domain]:
                if pattern.search(clean):
                    miss *= 1.0 - weight
            out[i, j] = 1.0 - miss
    return out


@dataclass(frozen=True, slots=True)
class DomainHead:
    """One logistic regression per domain over [embedding, lexicon scores * lex_scale], Platt-scaled."""

    weights: FloatArray  # (9, 384 + 9)
    bias: FloatArray  # (9,)
    platt_a: FloatArray  # (9,)
    platt_b: FloatArray  # (9,)
    lex_scale: float
    threshold: float

    def probabilities(self, embeddings: FloatArray, lexicon: FloatArray) -> FloatArray:
        x = np.hstack([embeddings, lexicon * self.lex_scale]).astype(np.float32)
        logits = x @ self.weights.T + self.bias
        z = self.platt_a * logits + self.platt_b
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)

    def save(self, path: Path, **meta: object) -> None:
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            platt_a=self.platt_a.astype(np.float32),
            platt_b=self.platt_b.astype(np.float32),
            lex_scale=np.float32(self.lex_scale),
            threshold=np.float32(self.threshold),
            domains=np.array(DOMAINS),
            lexicon_sha256=np.array(lexicon_fingerprint()),
            meta=np.array(json.dumps(meta, sort_keys=True)),
        )

    @classmethod
    def load(cls, path: Path) -> DomainHead:
        with np.load(path, allow_pickle=False) as data:
            if tuple(str(d) for d in data["domains"]) != DOMAINS:
                raise ValueError(f"{path} was trained for other domains")
            if str(data["lexicon_sha256"]) != lexicon_fingerprint():
                raise ValueError(f"{path} was trained with another lexicon; retrain (training/formulation)")
            return cls(
                weights=data["weights"].astype(np.float32),
                bias=data["bias"].astype(np.float32),
                platt_a=data["platt_a"].astype(np.float32),
                platt_b=data["platt_b"].astype(np.float32),
                lex_scale=float(data["lex_scale"]),
                threshold=float(data["threshold"]),
            )


_lock = threading.Lock()
_head: dict[str, DomainHead | None] = {}
_encoder_missing: list[str] = []


def weights_path() -> Path:
    return Path(str(resources.files("safeenough.analysis.models") / "weights" / WEIGHTS_FILE))


def load_head() -> DomainHead | None:
    """The committed head, loaded once per process; None (lexicon only) when missing or stale."""
    with _lock:
        if "head" not in _head:
            path = weights_path()
            try:
                _head["head"] = DomainHead.load(path)
            except (OSError, ValueError, KeyError) as exc:
                logger.warning("formulation domains: lexicon only, no usable head (%s)", exc)
                _head["head"] = None
        return _head["head"]


def _embed(texts: list[str]) -> FloatArray | None:
    if _encoder_missing:
        return None
    try:
        from safeenough.analysis.models import encoder

        return encoder.embed(texts, layers=encoder.SENTENCE_LAYERS)
    except Exception as exc:  # the encoder is optional here: any failure falls back to the lexicon
        logger.warning("formulation domains: lexicon only, the encoder failed (%s)", exc)
        if isinstance(exc, ImportError | OSError) or type(exc).__name__ == "ModelUnavailable":
            _encoder_missing.append(type(exc).__name__)  # not installed: do not try again in this process
        return None


def domain_probabilities(texts: list[str], method: Method = "auto") -> tuple[FloatArray, float, str]:
    """Scores (n x 9), the threshold that goes with them, and the method used ("hybrid" or "lexicon").

    `method="hybrid"` raises when the head or the encoder is unavailable; "auto" falls back to the lexicon.
    """
    lexicon = lexicon_scores(texts)
    if method != "lexicon" and texts:
        head = load_head()
        embeddings = _embed(texts) if head is not None else None
        if head is not None and embeddings is not None:
            return head.probabilities(embeddings, lexicon), head.threshold, "hybrid"
        if method == "hybrid":
            raise RuntimeError("the formulation head or the sentence encoder is unavailable")
    return lexicon, LEXICON_THRESHOLD, "lexicon"


def classify_domains(texts: list[str], method: Method = "auto") -> list[list[tuple[str, float]]]:
    """For each text, the domains it likely speaks to with a confidence in [0, 1], best first.

    At most three domains per text; an empty list for small talk, logistics and anything not
    domain-relevant. Uses the embedding head when it is available, otherwise the lexicon alone.
    """
    scores, threshold, _ = domain_probabilities(texts, method)
    out: list[list[tuple[str, float]]] = []
    for i, text in enumerate(texts):
        if is_small_talk(text):
            out.append([])
            continue
        order = np.argsort(-scores[i], kind="stable")[:MAX_DOMAINS]
        out.append(
            [(DOMAINS[int(j)], round(float(scores[i, j]), 4)) for j in order if scores[i, j] >= threshold]
        )
    return out


__all__ = [
    "DOMAINS",
    "DOMAIN_NAMES",
    "LEXICON",
    "DomainHead",
    "classify_domains",
    "domain_probabilities",
    "is_small_talk",
    "lexicon_fingerprint",
    "lexicon_scores",
    "matched_cues",
]
