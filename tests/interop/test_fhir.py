"""The FHIR export: a case's check-ins as a validated R4B Bundle, by pseudonymous code only."""

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from safeenough.domain.case import Case, CaseKind
from safeenough.domain.checkin import CheckIn, ScoredCheckIn
from safeenough.domain.client import Client
from safeenough.domain.instrument import LOCAL_CODE_SYSTEM, Codes, Instrument, InstrumentKind, Item
from safeenough.domain.session import Session
from safeenough.errors import InvalidInput
from safeenough.instruments import GAD_7, PHQ_9, SAFETY_CHECKIN, builtin_instruments
from safeenough.instruments.loader import parse_instrument
from safeenough.interop.fhir import fhir_bundle, questionnaire_canonical, total_coding
from safeenough.stats.scoring import score_checkin

LOINC = "http://loinc.org"
ALEX = Client(id=1, case_id=7, code="C-7K2Q", display_name="Alexandra Quinnsworth")
SAM = Client(id=2, case_id=7, code="C-9P4M", display_name="Samuel Brightwater")
CASE = Case(
    id=7,
    clinician_id=1,
    title="Quinnsworth and Brightwater",
    kind=CaseKind.COUPLE,
    opened_on=date(2026, 1, 1),
    clients=(ALEX, SAM),
)
SESSIONS = (
    Session(id=70, case_id=7, number=1, held_on=date(2026, 1, 5), attendee_ids=(1, 2)),
    Session(id=71, case_id=7, number=2, held_on=date(2026, 1, 12), attendee_ids=(1, 2)),
)
SECRET = "He interrupted me every time I tried to talk about my mother."


def instrument(instrument_id: str) -> Instrument:
    return next(found for found in builtin_instruments() if found.id == instrument_id)


def scored(
    inst: Instrument,
    answers: dict[str, float | None],
    *,
    check_in_id: int,
    client: Client = ALEX,
    session: Session = SESSIONS[0],
    free_text: str | None = None,
) -> ScoredCheckIn:
    made = CheckIn(
        id=check_in_id,
        session_id=session.id,
        client_id=client.id,
        instrument_id=inst.id,
        submitted_at=datetime(2026, 1, 5 + 7 * (session.number - 1), 19, 30, tzinfo=UTC),
        answers=answers,
        free_text=free_text,
    )
    return ScoredCheckIn(check_in=made, score=score_checkin(made, inst), session_number=session.number)


PHQ = instrument(PHQ_9)
GAD = instrument(GAD_7)
SAFETY = instrument(SAFETY_CHECKIN)
# PHQ-9 answers 2,2,1,1,1,1,1,1,0 → total 10 (moderate); GAD-7 answers 1,1,1,1,1,1,1 → total 7 (mild).
PHQ_CHECKIN = scored(PHQ, dict(zip(PHQ.item_ids, [2, 2, 1, 1, 1, 1, 1, 1, 0], strict=True)), check_in_id=101)
GAD_CHECKIN = scored(GAD, dict.fromkeys(GAD.item_ids, 1.0), check_in_id=102)
SAFETY_CHECKIN_ALEX = scored(SAFETY, dict.fromkeys(SAFETY.item_ids, 6.0), check_in_id=103, free_text=SECRET)
SAFETY_CHECKIN_SAM = scored(
    SAFETY, dict.fromkeys(SAFETY.item_ids, 9.0), check_in_id=104, client=SAM, session=SESSIONS[1]
)
TRACKS = (
    (ALEX, PHQ, [PHQ_CHECKIN]),
    (ALEX, GAD, [GAD_CHECKIN]),
    (ALEX, SAFETY, [SAFETY_CHECKIN_ALEX]),
    (SAM, SAFETY, [SAFETY_CHECKIN_SAM]),
)


def export(**options: Any) -> dict[str, Any]:
    text = fhir_bundle(CASE, SESSIONS, TRACKS, **options)
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def resources(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type]


def full_url_of(bundle: dict[str, Any], resource: dict[str, Any]) -> str:
    return str(next(e["fullUrl"] for e in bundle["entry"] if e["resource"] is resource))


def observation_for(bundle: dict[str, Any], code: str) -> dict[str, Any]:
    matching = [o for o in resources(bundle, "Observation") if o["code"]["coding"][0]["code"] == code]
    assert len(matching) == 1
    return matching[0]


def test_the_export_is_a_collection_bundle_that_fhir_resources_parses_back() -> None:
    text = fhir_bundle(CASE, SESSIONS, TRACKS)
    bundle = Bundle.model_validate_json(text)
    assert bundle.type == "collection"
    assert bundle.entry is not None
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry if entry.resource is not None]
    assert kinds.count("Patient") == 2
    assert kinds.count("Questionnaire") == 3
    assert kinds.count("QuestionnaireResponse") == 4
    assert kinds.count("Observation") == 4
    assert all(str(entry.fullUrl).startswith("urn:uuid:") for entry in bundle.entry)


def test_the_phq9_total_is_an_observation_coded_loinc_44261_6_with_its_known_total() -> None:
    observation = observation_for(export(), "44261-6")
    assert observation["code"]["coding"][0]["system"] == LOINC
    assert observation["valueQuantity"]["value"] == 10
    assert observation["status"] == "final"
    assert observation["category"][0]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
        "code": "survey",
        "display": "Survey",
    }
    assert observation["interpretation"] == [{"text": "moderate"}]
    assert observation["effectiveDateTime"] == "2026-01-05T19:30:00Z"


def test_the_gad7_total_is_an_observation_coded_loinc_70274_6() -> None:
    observation = observation_for(export(), "70274-6")
    assert observation["code"]["coding"][0]["system"] == LOINC
    assert observation["valueQuantity"]["value"] == 7


def test_the_safety_checkin_total_uses_the_local_code_system() -> None:
    bundle = export()
    totals = [o for o in resources(bundle, "Observation") if o["code"]["coding"][0]["system"] != LOINC]
    assert {o["code"]["coding"][0]["system"] for o in totals} == {LOCAL_CODE_SYSTEM}
    assert {o["code"]["coding"][0]["code"] for o in totals} == {"safeenough-safety-total"}
    assert sorted(o["valueQuantity"]["value"] for o in totals) == [30, 45]


def test_every_observation_is_derived_from_its_questionnaire_response_by_full_url() -> None:
    bundle = export()
    responses = {
        r["identifier"]["value"]: full_url_of(bundle, r) for r in resources(bundle, "QuestionnaireResponse")
    }
    phq = observation_for(bundle, "44261-6")
    assert phq["derivedFrom"] == [{"reference": responses["101"]}]
    for observation in resources(bundle, "Observation"):
        (derived,) = observation["derivedFrom"]
        response = next(e["resource"] for e in bundle["entry"] if e["fullUrl"] == derived["reference"])
        assert response["resourceType"] == "QuestionnaireResponse"
        assert response["subject"] == observation["subject"]


def test_responses_point_to_the_versioned_questionnaire_and_the_patient_by_code() -> None:
    bundle = export()
    questionnaires = {q["url"]: q for q in resources(bundle, "Questionnaire")}
    patients = {p["identifier"][0]["value"]: full_url_of(bundle, p) for p in resources(bundle, "Patient")}
    assert set(patients) == {"C-7K2Q", "C-9P4M"}
    response = next(
        r for r in resources(bundle, "QuestionnaireResponse") if r["identifier"]["value"] == "101"
    )
    assert response["questionnaire"] == questionnaire_canonical(PHQ)
    url, version = response["questionnaire"].split("|")
    assert questionnaires[url]["version"] == version == PHQ.version
    assert response["subject"] == {"reference": patients["C-7K2Q"]}
    assert response["authored"] == "2026-01-05T19:30:00Z"
    assert [(i["linkId"], i["answer"][0]["valueInteger"]) for i in response["item"]] == list(
        zip(PHQ.item_ids, [2, 2, 1, 1, 1, 1, 1, 1, 0], strict=True)
    )


def test_a_questionnaire_carries_items_answer_options_code_and_licence() -> None:
    bundle = export()
    phq = next(q for q in resources(bundle, "Questionnaire") if q["url"].endswith("/phq-9"))
    assert phq["code"] == [{"system": LOINC, "code": "44249-1"}]
    assert phq["status"] == "active"
    assert phq["copyright"].startswith(PHQ.licence)
    first = phq["item"][0]
    assert first["linkId"] == "1"
    assert first["text"] == PHQ.items[0].text
    assert first["type"] == "integer"
    assert [option["valueInteger"] for option in first["answerOption"]] == [0, 1, 2, 3]
    assert first["answerOption"][2]["extension"][0]["valueString"] == "More than half the days"
    safety = next(q for q in resources(bundle, "Questionnaire") if q["url"].endswith("/safeenough-safety"))
    assert safety["code"][0]["system"] == LOCAL_CODE_SYSTEM
    assert len(safety["item"][0]["answerOption"]) == 11
    assert safety["item"][-1] == {
        "linkId": "didnt_sit_right",
        "text": SAFETY.free_text.text if SAFETY.free_text else "",
        "type": "text",
        "required": False,
        "maxLength": 2000,
    }
    assert "Not yet validated" in safety["description"]


def test_a_licensed_instrument_supplied_by_the_practice_exports_its_own_item_text() -> None:
    licensed = Instrument(
        id="srs",
        version="3.0",
        title="Session Rating Scale",
        kind=InstrumentKind.ALLIANCE,
        items=tuple(
            Item(id=f"srs{n}", text=f"Practice-supplied wording {n}", minimum=0, maximum=10, step=None)
            for n in range(1, 5)
        ),
        higher_is_better=True,
        licence="Licensed to this practice; do not redistribute.",
        validated=True,
        codes=Codes.local("srs"),
    )
    check_in = scored(licensed, {"srs1": 8.2, "srs2": 9.0, "srs3": 7.5, "srs4": 9.9}, check_in_id=105)
    text = fhir_bundle(CASE, SESSIONS, [(ALEX, licensed, [check_in])])
    bundle = json.loads(text)
    (questionnaire,) = resources(bundle, "Questionnaire")
    assert [item["text"] for item in questionnaire["item"]] == [
        f"Practice-supplied wording {n}" for n in range(1, 5)
    ]
    assert questionnaire["item"][0]["type"] == "decimal"
    assert "answerOption" not in questionnaire["item"][0]
    assert questionnaire["copyright"] == "Licensed to this practice; do not redistribute."
    (observation,) = resources(bundle, "Observation")
    assert observation["code"]["coding"][0] == {
        "system": LOCAL_CODE_SYSTEM,
        "code": "srs-total",
        "display": "Session Rating Scale total score",
    }
    assert observation["valueQuantity"]["value"] == pytest.approx(34.6)


def test_no_display_name_or_case_title_appears_anywhere_in_the_json() -> None:
    text = fhir_bundle(CASE, SESSIONS, TRACKS, include_free_text=True)
    for secret in ("Alexandra", "Quinnsworth", "Samuel", "Brightwater"):
        assert secret not in text
    assert "C-7K2Q" in text


def test_free_text_answers_are_left_out_by_default() -> None:
    text = fhir_bundle(CASE, SESSIONS, TRACKS)
    assert SECRET not in text
    assert "valueString" not in json.dumps(resources(json.loads(text), "QuestionnaireResponse"))


def test_free_text_answers_are_included_when_asked_for() -> None:
    bundle = export(include_free_text=True)
    response = next(
        r for r in resources(bundle, "QuestionnaireResponse") if r["identifier"]["value"] == "103"
    )
    assert response["item"][-1]["linkId"] == "didnt_sit_right"
    assert response["item"][-1]["answer"] == [{"valueString": SECRET}]


def test_an_unscorable_checkin_has_a_response_but_no_total_observation() -> None:
    answers: dict[str, float | None] = dict.fromkeys(PHQ.item_ids, 1.0)
    answers["1"] = answers["2"] = None
    unscorable = scored(PHQ, answers, check_in_id=106)
    bundle = json.loads(fhir_bundle(CASE, SESSIONS, [(ALEX, PHQ, [unscorable])]))
    assert len(resources(bundle, "QuestionnaireResponse")) == 1
    assert resources(bundle, "Observation") == []
    (response,) = resources(bundle, "QuestionnaireResponse")
    assert [item["linkId"] for item in response["item"]] == list(PHQ.item_ids[2:])


def test_a_prorated_total_says_so_in_a_note() -> None:
    answers: dict[str, float | None] = dict.fromkeys(PHQ.item_ids, 1.0)
    answers["9"] = None
    bundle = json.loads(fhir_bundle(CASE, SESSIONS, [(ALEX, PHQ, [scored(PHQ, answers, check_in_id=107)])]))
    (observation,) = resources(bundle, "Observation")
    assert observation["valueQuantity"]["value"] == 9
    assert observation["note"][0]["text"].startswith("Prorated: 1 of 9")


def test_a_client_from_another_case_is_refused() -> None:
    stranger = Client(id=9, case_id=8, code="C-AAAA", display_name="Someone Else")
    with pytest.raises(InvalidInput, match="not part of case 7"):
        fhir_bundle(CASE, SESSIONS, [(stranger, PHQ, [])])


def test_a_checkin_for_a_session_outside_the_case_is_refused() -> None:
    elsewhere = Session(id=99, case_id=8, number=1, held_on=date(2026, 1, 5), attendee_ids=(9,))
    check_in = scored(PHQ, dict.fromkeys(PHQ.item_ids, 0.0), check_in_id=108, session=elsewhere)
    with pytest.raises(InvalidInput, match="outside case 7"):
        fhir_bundle(CASE, (*SESSIONS, elsewhere), [(ALEX, PHQ, [check_in])])


def test_each_scorable_subscale_is_an_observation_of_its_own_derived_from_the_response() -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "instrument-format.md"
    text = doc.read_text(encoding="utf-8")
    start = text.index("```json") + len("```json")
    alliance = parse_instrument(text[start : text.index("```", start)], source_name="example.json")
    check_in = scored(alliance, {"1": 4, "2": 4, "3": 5, "4": 2}, check_in_id=201)
    bundle = json.loads(fhir_bundle(CASE, SESSIONS, [(ALEX, alliance, [check_in])]))
    (response,) = resources(bundle, "QuestionnaireResponse")
    values = {
        o["code"]["coding"][0]["code"]: o["valueQuantity"]["value"] for o in resources(bundle, "Observation")
    }
    assert values == {
        f"{alliance.id}-goal": 4,
        f"{alliance.id}-task": 4,
        f"{alliance.id}-bond": 5,
        total_coding(alliance)[1]: 4.25,
    }
    for observation in resources(bundle, "Observation"):
        assert observation["derivedFrom"] == [{"reference": full_url_of(bundle, response)}]
