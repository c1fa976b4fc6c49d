import copy
import json
from pathlib import Path
from typing import Any

import pytest

from safeenough.domain.instrument import LOCAL_CODE_SYSTEM, ItemTheme, ScoringMethod
from safeenough.errors import InvalidInput
from safeenough.instruments import InstrumentFileInvalid, load_instrument_file, parse_instrument

DOC = Path(__file__).resolve().parents[2] / "docs" / "instrument-format.md"

# A licensed-instrument file as a practice would write it; the wording is a placeholder.
SRS: dict[str, Any] = {
    "format": "safeenough-instrument/1",
    "id": "srs",
    "version": "3.0",
    "title": "Session Rating Scale",
    "kind": "alliance",
    "higher_is_better": True,
    "items": [
        {"id": "relationship", "text": "PLACEHOLDER relationship", "min": 0, "max": 10, "step": None,
         "alert_threshold": 9, "theme": "heard"},
        {"id": "goals", "text": "PLACEHOLDER goals and topics", "min": 0, "max": 10, "step": None},
        {"id": "approach", "text": "PLACEHOLDER approach or method", "min": 0, "max": 10, "step": None},
        {"id": "overall", "text": "PLACEHOLDER overall", "min": 0, "max": 10, "step": None},
    ],
    "cutoff": {"value": 36, "source": "Duncan et al. 2003"},
    "reliable_change": {"value": 1, "source": "OpenFIT flags a drop of 1 point", "provisional": True},
    "licence": "Licensed to our practice for electronic use; wording supplied by us.",
    "validated": True,
}  # fmt: skip


def problems(data: dict[str, Any], name: str = "srs.json") -> tuple[str, ...]:
    with pytest.raises(InstrumentFileInvalid) as caught:
        parse_instrument(json.dumps(data), source_name=name)
    return caught.value.problems


def changed(**updates: Any) -> dict[str, Any]:
    data = copy.deepcopy(SRS)
    data.update(updates)
    return data


def test_a_practice_file_for_a_licensed_instrument_loads() -> None:
    srs = parse_instrument(json.dumps(SRS), source_name="srs.json")
    assert srs.id == "srs"
    assert len(srs.items) == 4
    assert srs.total_range == (0, 40)
    assert srs.item("relationship").theme is ItemTheme.HEARD
    assert srs.item("goals").accepts(7.3)  # a visual-analogue line: any value on the scale
    assert srs.scoring.method is ScoringMethod.SUM
    assert srs.codes.system == LOCAL_CODE_SYSTEM
    assert srs.codes.total == "srs-total"
    assert srs.beyond_cutoff(36)
    assert not srs.beyond_cutoff(36.1)


def test_an_item_whose_max_is_not_above_its_min_is_explained_with_its_path() -> None:
    data = changed()
    data["items"][2]["max"] = 0
    assert problems(data) == ("srs.json: items[2].max: must be greater than min (0)",)


def test_every_problem_in_a_file_is_reported_at_once() -> None:
    data = changed(kind="rapport", colour="blue")
    del data["validated"]
    found = problems(data)
    assert "srs.json: kind: input should be 'alliance', 'outcome' or 'symptom'" in found
    assert any(p.startswith("srs.json: colour: is not a known key") for p in found)
    assert "srs.json: validated: is required" in found


def test_cross_references_are_checked_with_their_paths() -> None:
    data = changed(
        scoring={"method": "sum", "missing": {"max_missing": 4}, "subscales": [
            {"id": "bond", "title": "Bond", "items": ["relationship", "trust"]}]},
        bands=[{"label": "high", "min": 30}, {"label": "low", "min": 0}],
        cutoff={"value": 55, "source": "made up"},
    )  # fmt: skip
    data["items"][1]["id"] = "relationship"
    data["items"][3]["alert_threshold"] = 12
    data["items"][0]["anchors"] = [{"value": -1, "label": "Below"}]
    found = problems(data)
    assert "srs.json: items[1].id: repeats the id of items[0] ('relationship')" in found
    assert "srs.json: items[0].anchors[0].value: must lie within the scale 0–10" in found
    assert "srs.json: items[3].alert_threshold: must lie within the scale 0–10" in found
    assert "srs.json: scoring.missing.max_missing: must be less than the number of items (4)" in found
    assert "srs.json: scoring.subscales[0].items[1]: names no item of this instrument ('trust')" in found
    assert "srs.json: bands[1].min: must be greater than the band before (30)" in found


def test_ids_that_break_the_naming_rule_are_explained_in_words() -> None:
    data = changed(id="My SRS")
    data["items"][0]["id"] = "a b"
    assert problems(data) == (
        "srs.json: id: must be lower-case letters, digits, '.', '_' or '-' (at most 64), "
        "starting with a letter or digit",
        "srs.json: items[0].id: must be letters, digits, '.', '_' or '-' (at most 64), "
        "starting with a letter or digit",
    )


def test_a_cut_off_outside_the_possible_totals_is_explained() -> None:
    assert problems(changed(cutoff={"value": 55, "source": "x"})) == (
        "srs.json: cutoff.value: must lie within the total range 0–40",
    )


def test_a_file_in_another_format_is_refused_with_the_expected_format() -> None:
    assert problems(changed(format="v2")) == ("srs.json: format: must be 'safeenough-instrument/1'",)


def test_broken_json_is_explained_with_line_and_column() -> None:
    with pytest.raises(InstrumentFileInvalid, match=r"ors\.json: line 1, column 2: not valid JSON"):
        parse_instrument("{oops", source_name="ors.json")
    with pytest.raises(InstrumentFileInvalid, match="must be a JSON object"):
        parse_instrument("[1, 2]", source_name="ors.json")
    with pytest.raises(InstrumentFileInvalid, match="not UTF-8"):
        parse_instrument(b"\xff\xfe\x00", source_name="ors.json")


def test_file_problems_are_invalid_input_with_every_problem_in_the_message(tmp_path: Path) -> None:
    data = changed()
    data["items"][2]["max"] = 0
    path = tmp_path / "srs.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"srs\.json: items\[2\]\.max"):
        load_instrument_file(path)


def test_a_missing_file_is_explained(tmp_path: Path) -> None:
    with pytest.raises(InstrumentFileInvalid, match=r"core-10\.json: cannot be read"):
        load_instrument_file(tmp_path / "core-10.json")


def test_the_documented_example_loads_and_uses_placeholder_wording() -> None:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("```json") + len("```json")
    example = text[start : text.index("```", start)]
    instrument = parse_instrument(example, source_name="example.json")
    assert all(item.text.startswith("PLACEHOLDER") for item in instrument.items)
    assert instrument.scoring.subscales
