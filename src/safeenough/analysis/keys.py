"""Annotation keys: the contract between components, storage, reports and the research export.

Turn-level keys (target_turn = the turn index):
- therapist turns: BEHAVIOUR (reflection | question | therapist_input | other), and the matching sub-label
  QUESTION (open | closed), REFLECTION (simple | complex) or INPUT (information | advice | negotiation |
  options); STANCE (exploring | neutral | assuming | pressing); CHECK_IN (bool); REPAIR (metacommunication
  | validation | own_part | rationale | change_task | none | n/a).
- client turns: TALK_TYPE (change | neutral | sustain); MARKER (none | withdrawal | confrontation);
  SUBTYPE (a 3RS subtype or None); ANTICIPATES_JUDGEMENT (bool); EVIDENCE_SPAN (str: the words that show it).
Session-level keys (target_turn = None): QUALITY (float in [0, 1]).
"""

BEHAVIOUR = "behaviour"
QUESTION = "question"
REFLECTION = "reflection"
INPUT = "input"
TALK_TYPE = "talk_type"
STANCE = "stance"
CHECK_IN = "check_in"
REPAIR = "repair"
MARKER = "marker"
SUBTYPE = "subtype"
ANTICIPATES_JUDGEMENT = "anticipates_judgement"
EVIDENCE_SPAN = "evidence_span"
QUALITY = "quality"

THERAPIST_BEHAVIOURS = ("reflection", "question", "therapist_input", "other")
TALK_TYPES = ("change", "neutral", "sustain")
MARKERS = ("none", "withdrawal", "confrontation")
STANCES = ("exploring", "neutral", "assuming", "pressing")
REPAIRS = ("metacommunication", "validation", "own_part", "rationale", "change_task", "none", "n/a")
WITHDRAWAL_SUBTYPES = ("denial", "minimal_response", "abstract", "topic_shift", "deferential", "hopeless")
CONFRONTATION_SUBTYPES = (
    "complaint_therapist",
    "rejects_intervention",
    "complaint_activity",
    "complaint_parameters",
    "complaint_progress",
    "defends_self",
    "pressures_therapist",
)
