"""FHIR export: a case's check-ins as a FHIR R4B `collection` Bundle, validated with `fhir.resources`.

What goes in (DOMAIN.md §8):
- one minimal `Patient` per client of the case, known only by the pseudonymous client code (an
  identifier): never the display name, never the case title;
- one `Questionnaire` per instrument used (canonical URL `https://safeenough.org/fhir/Questionnaire/<id>`,
  `version` the instrument version; items with linkId = item id, the item text — for a practice's
  licensed instrument, the text the practice supplied —, the answer options of the scale and its
  anchor labels; `copyright` the licence note);
- per check-in, a `QuestionnaireResponse` (answers as given, before any reverse scoring) and, when the
  check-in is scorable, an `Observation` of the total score: category `survey`, code LOINC 44261-6
  (PHQ-9) / 70274-6 (GAD-7) where a LOINC code exists, else our local CodeSystem
  (`Codes.local`: `<instrument id>-total`), `valueQuantity` in UCUM `{score}`, `derivedFrom` the
  response; and one Observation per scorable subscale (local code `<instrument id>-<subscale id>`). An
  unscorable check-in (too many items missing) has a response but no Observation.

Free-text answers are sensitive: they go into the response only with `include_free_text=True`.
Resources refer to each other by `urn:uuid:` fullUrls, fresh for every export.
Times without a time zone are taken as UTC (FHIR needs a zone on every time).
"""

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from safeenough.domain.case import Case
from safeenough.domain.checkin import ScoredCheckIn
from safeenough.domain.client import Client
from safeenough.domain.instrument import LOCAL_CODE_SYSTEM, Codes, Instrument, Item, Subscale
from safeenough.domain.session import Session
from safeenough.errors import InvalidInput

FHIR_VERSION = "4.3.0"
"""FHIR R4B, as modelled by `fhir.resources.R4B`."""

FHIR_BASE = LOCAL_CODE_SYSTEM.rsplit("/CodeSystem/", 1)[0]
"""Root of our canonical URLs (https://safeenough.org/fhir), shared with the local CodeSystem."""

QUESTIONNAIRE_BASE = f"{FHIR_BASE}/Questionnaire"
CLIENT_CODE_SYSTEM = f"{FHIR_BASE}/sid/client-code"
"""Identifier system of the pseudonymous client codes (unique within one practice)."""
CHECK_IN_SYSTEM = f"{FHIR_BASE}/sid/check-in"
"""Identifier system of check-ins (the practice's own check-in number)."""
ANCHOR_LABEL_EXTENSION = f"{FHIR_BASE}/StructureDefinition/anchor-label"
"""On an `answerOption`: the label the scale gives that value ("0 = Not at all")."""

OBSERVATION_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
MIN_VALUE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/maxValue"
UCUM_SYSTEM = "http://unitsofmeasure.org"

MAX_ANSWER_OPTIONS = 21
"""Scales with more allowed values than this (or with no step) get min/max only, no option list."""

_EPSILON = 1e-9

Track = tuple[Client, Instrument, Sequence[ScoredCheckIn]]
"""One client's check-ins on one instrument."""

Json = dict[str, Any]


def questionnaire_url(instrument: Instrument) -> str:
    """The canonical URL of an instrument's Questionnaire (without version)."""
    return f"{QUESTIONNAIRE_BASE}/{instrument.id}"


def questionnaire_canonical(instrument: Instrument, answered_version: str | None = None) -> str:
    """The versioned canonical a QuestionnaireResponse points to: `url|version`, with the version the
    client answered where it is known (a definition replaced since keeps its id, not its version)."""
    return f"{questionnaire_url(instrument)}|{answered_version or instrument.version}"


def total_coding(instrument: Instrument) -> tuple[str, str]:
    """(system, code) of the instrument's total score: LOINC where it has one, else the local code."""
    codes = instrument.codes
    if codes.total:
        return codes.system, codes.total
    local = Codes.local(instrument.id)
    assert local.total is not None
    return local.system, local.total


def fhir_bundle(
    case: Case,
    sessions: Sequence[Session],
    tracks: Sequence[Track],
    *,
    include_free_text: bool = False,
    now: datetime | None = None,
) -> str:
    """The case's check-ins as FHIR R4B Bundle JSON (type `collection`), validated on construction.

    `sessions` are the case's sessions (every check-in must belong to one of them); `tracks` are
    (client, instrument, scored check-ins) for clients of this case. Raises `InvalidInput` when the
    inputs do not fit together or the bundle does not validate.
    """
    _check_tracks(case, sessions, tracks)
    patients: dict[int, str] = {}
    entries: list[Json] = []
    for client in case.clients:
        full_url = _new_full_url()
        patients[client.id] = full_url
        entries.append(_entry(full_url, _patient(client)))
    seen: set[tuple[str, str]] = set()
    for _client, instrument, _check_ins in tracks:
        key = (instrument.id, instrument.version)
        if key not in seen:
            seen.add(key)
            entries.append(_entry(_new_full_url(), _questionnaire(instrument)))
    for client, instrument, check_ins in tracks:
        subject = {"reference": patients[client.id]}
        for scored in sorted(check_ins, key=lambda s: (s.session_number, s.submitted_at, s.id)):
            response_url = _new_full_url()
            entries.append(
                _entry(
                    response_url, _response(instrument, scored, subject, include_free_text=include_free_text)
                )
            )
            if scored.score.total is not None:
                entries.append(
                    _entry(_new_full_url(), _observation(instrument, scored, subject, response_url))
                )
            for subscale in instrument.scoring.subscales:
                value = scored.score.subscale_scores.get(subscale.id)
                if value is not None:
                    observation = _subscale_observation(
                        instrument, subscale, value, scored, subject, response_url
                    )
                    entries.append(_entry(_new_full_url(), observation))
    data: Json = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _datetime(now or datetime.now(UTC)),
        "entry": entries,
    }
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as error:
        raise InvalidInput(f"the FHIR export of case {case.id} does not validate: {error}") from error
    return str(bundle.model_dump_json())


# --- resources --------------------------------------------------------------------------------------


def _patient(client: Client) -> Json:
    # The pseudonymous code only: no name, no contact, nothing else that could identify a person.
    return {
        "resourceType": "Patient",
        "identifier": [{"system": CLIENT_CODE_SYSTEM, "value": client.code}],
    }


def _questionnaire(instrument: Instrument) -> Json:
    codes = instrument.codes
    resource: Json = {
        "resourceType": "Questionnaire",
        "url": questionnaire_url(instrument),
        "version": instrument.version,
        "name": _computable_name(instrument.id),
        "title": instrument.title,
        "status": "active",
        "subjectType": ["Patient"],
        "copyright": _copyright(instrument),
        "item": [_questionnaire_item(item) for item in instrument.items],
    }
    description = _description(instrument)
    if description:
        resource["description"] = description
    if codes.panel:
        coding: Json = {"system": codes.system, "code": codes.panel}
        if codes.system == LOCAL_CODE_SYSTEM:
            coding["display"] = instrument.title
        resource["code"] = [coding]
    if instrument.free_text is not None:
        resource["item"].append(
            {
                "linkId": instrument.free_text.id,
                "text": instrument.free_text.text,
                "type": "text",
                "required": False,
                "maxLength": instrument.free_text.max_length,
            }
        )
    return resource


def _questionnaire_item(item: Item) -> Json:
    integer = _is_integer_scale(item)
    kind = "Integer" if integer else "Decimal"
    result: Json = {
        "linkId": item.id,
        "text": item.text,
        "type": "integer" if integer else "decimal",
        "required": False,
        "extension": [
            {"url": MIN_VALUE_EXTENSION, f"value{kind}": _number(item.minimum, integer)},
            {"url": MAX_VALUE_EXTENSION, f"value{kind}": _number(item.maximum, integer)},
        ],
    }
    if integer:
        assert item.step is not None
        count = round((item.maximum - item.minimum) / item.step) + 1
        if count <= MAX_ANSWER_OPTIONS:
            labels = {round(anchor.value): anchor.label for anchor in item.anchors}
            options: list[Json] = []
            for index in range(count):
                value = round(item.minimum + index * item.step)
                option: Json = {"valueInteger": value}
                if value in labels:
                    option["extension"] = [{"url": ANCHOR_LABEL_EXTENSION, "valueString": labels[value]}]
                options.append(option)
            result["answerOption"] = options
    return result


def _response(
    instrument: Instrument, scored: ScoredCheckIn, subject: Json, *, include_free_text: bool
) -> Json:
    check_in = scored.check_in
    items: list[Json] = []
    for item in instrument.items:
        answer = check_in.answers.get(item.id)
        if answer is None:
            continue  # FHIR: an unanswered question is left out of the response
        integer = _is_integer_scale(item) and _integral(answer)
        value: Json = {"valueInteger": round(answer)} if integer else {"valueDecimal": answer}
        items.append({"linkId": item.id, "text": item.text, "answer": [value]})
    free_text = instrument.free_text
    if include_free_text and free_text is not None and check_in.has_comment and check_in.free_text:
        items.append(
            {"linkId": free_text.id, "text": free_text.text, "answer": [{"valueString": check_in.free_text}]}
        )
    resource: Json = {
        "resourceType": "QuestionnaireResponse",
        "identifier": {"system": CHECK_IN_SYSTEM, "value": str(check_in.id)},
        "questionnaire": questionnaire_canonical(instrument, scored.check_in.instrument_version),
        "status": "completed",
        "subject": subject,
        "authored": _datetime(check_in.submitted_at),
    }
    if items:
        resource["item"] = items
    return resource


def _observation(instrument: Instrument, scored: ScoredCheckIn, subject: Json, response_url: str) -> Json:
    score = scored.score
    assert score.total is not None
    system, code = total_coding(instrument)
    coding: Json = {"system": system, "code": code}
    if system == LOCAL_CODE_SYSTEM:
        coding["display"] = f"{instrument.title} total score"
    total = round(score.total) if _integral(score.total) else round(score.total, 2)
    resource: Json = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY_SYSTEM, "code": "survey", "display": "Survey"}]}
        ],
        "code": {"coding": [coding], "text": f"{instrument.title} total score"},
        "subject": subject,
        "effectiveDateTime": _datetime(scored.submitted_at),
        "valueQuantity": {"value": total, "unit": "{score}", "system": UCUM_SYSTEM, "code": "{score}"},
        "derivedFrom": [{"reference": response_url}],
    }
    if score.band:
        resource["interpretation"] = [{"text": score.band}]
    if score.prorated:
        missing = len(score.missing_items)
        resource["note"] = [
            {
                "text": f"Prorated: {missing} of {len(instrument.items)} items unanswered, "
                "scored by the instrument's missing-item rule."
            }
        ]
    return resource


def _subscale_observation(
    instrument: Instrument,
    subscale: Subscale,
    value: float,
    scored: ScoredCheckIn,
    subject: Json,
    response_url: str,
) -> Json:
    """A subscale's score (e.g. an alliance inventory's goal, task and bond) as its own Observation, coded
    in our local CodeSystem (`<instrument id>-<subscale id>`): no LOINC code is known for these."""
    name = f"{instrument.title} {subscale.title} subscale score"
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY_SYSTEM, "code": "survey", "display": "Survey"}]}
        ],
        "code": {
            "coding": [
                {"system": LOCAL_CODE_SYSTEM, "code": f"{instrument.id}-{subscale.id}", "display": name}
            ],
            "text": name,
        },
        "subject": subject,
        "effectiveDateTime": _datetime(scored.submitted_at),
        "valueQuantity": {
            "value": round(value) if _integral(value) else round(value, 2),
            "unit": "{score}",
            "system": UCUM_SYSTEM,
            "code": "{score}",
        },
        "derivedFrom": [{"reference": response_url}],
    }


# --- helpers ----------------------------------------------------------------------------------------


def _check_tracks(case: Case, sessions: Sequence[Session], tracks: Sequence[Track]) -> None:
    session_ids = {session.id for session in sessions if session.case_id == case.id}
    client_ids = {client.id for client in case.clients}
    for client, instrument, check_ins in tracks:
        if client.id not in client_ids:
            raise InvalidInput(f"client {client.code} is not part of case {case.id}")
        for scored in check_ins:
            check_in = scored.check_in
            if check_in.client_id != client.id:
                raise InvalidInput(f"check-in {check_in.id} is not from client {client.code}")
            if check_in.instrument_id != instrument.id:
                raise InvalidInput(f"check-in {check_in.id} is not for {instrument.id!r}")
            if check_in.session_id not in session_ids:
                raise InvalidInput(f"check-in {check_in.id} is for a session outside case {case.id}")


def _entry(full_url: str, resource: Json) -> Json:
    return {"fullUrl": full_url, "resource": resource}


def _new_full_url() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _datetime(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def _integral(value: float) -> bool:
    return abs(value - round(value)) < _EPSILON


def _is_integer_scale(item: Item) -> bool:
    return (
        item.step is not None and _integral(item.step) and _integral(item.minimum) and _integral(item.maximum)
    )


def _number(value: float, integer: bool) -> float | int:
    return round(value) if integer else value


def _computable_name(instrument_id: str) -> str:
    """`phq-9` → `Phq9`: FHIR wants a name that starts upper-case and has letters, digits and `_`."""
    parts = [part for part in re.split(r"[^A-Za-z0-9]+", instrument_id) if part]
    name = "".join(part[:1].upper() + part[1:] for part in parts)
    return name if name[:1].isalpha() else f"Q{name}"


def _copyright(instrument: Instrument) -> str:
    lines = [instrument.licence]
    if instrument.attribution:
        lines.append(instrument.attribution)
    return "\n\n".join(lines)


def _description(instrument: Instrument) -> str:
    parts: list[str] = []
    if instrument.instructions:
        parts.append(instrument.instructions)
    if not instrument.validated:
        parts.append("Not yet validated: read its scores as a prompt for conversation, not as a measurement.")
    return "\n\n".join(parts)
