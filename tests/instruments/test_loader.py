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


def test_an_item_cannot_be_called_total_because_the_csv_export_names_its_total_row_so() -> None:
    data = changed()
    data["items"][0]["id"] = "total"
    data["items"][1]["id"] = "Total"
    assert problems(data) == (
        "srs.json: items[0].id: 'total' is reserved for the total; choose another id",
        "srs.json: items[1].id: 'Total' is reserved for the total; choose another id",
    )


@pytest.mark.parametrize("field", ["min", "max", "step"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_non_finite_item_scale_is_reported_at_its_own_path(field: str, value: float) -> None:
    data = changed()
    data["items"][0][field] = value
    assert problems(data) == (f"srs.json: items[0].{field}: must be a finite number (not NaN or Infinity)",)


def test_a_non_finite_item_minimum_names_the_item_and_not_the_cut_off() -> None:
    data = changed()
    data["items"][0]["min"] = float("nan")
    assert "cutoff" in data
    assert problems(data) == ("srs.json: items[0].min: must be a finite number (not NaN or Infinity)",)


def test_every_non_finite_number_in_the_file_is_refused_at_its_own_path() -> None:
    data = changed(
        reliable_change={"value": float("inf"), "source": "x", "sd": float("inf")},
        split_threshold=float("inf"),
        bands=[{"label": "any", "min": float("-inf")}],
        cutoff={"value": float("nan"), "source": "x"},
    )
    data["items"][1]["alert_threshold"] = float("nan")
    data["items"][2]["anchors"] = [{"value": float("inf"), "label": "Top"}]
    found = problems(data)
    message = "must be a finite number (not NaN or Infinity)"
    assert sorted(found) == sorted(
        f"srs.json: {path}: {message}"
        for path in (
            "items[1].alert_threshold",
            "items[2].anchors[0].value",
            "cutoff.value",
            "bands[0].min",
            "reliable_change.value",
            "reliable_change.sd",
            "split_threshold",
        )
    )


def test_scales_too_large_to_add_up_are_refused() -> None:
    data = changed()
    for item in data["items"]:
        item["max"] = 1e308
    assert problems(data) == ("srs.json: items: the scales are too large to add up to a total",)


def test_a_subscale_id_may_be_used_once_and_a_subscale_may_list_an_item_once() -> None:
    data = changed(
        scoring={"subscales": [
            {"id": "bond", "title": "Bond", "items": ["relationship", "goals", "relationship"]},
            {"id": "bond", "title": "Bond again", "items": ["approach"]},
        ]},
    )  # fmt: skip
    assert problems(data) == (
        "srs.json: scoring.subscales[0].items[2]: repeats scoring.subscales[0].items[0] ('relationship')",
        "srs.json: scoring.subscales[1].id: repeats the id of scoring.subscales[0] ('bond')",
    )


def test_severity_bands_must_start_within_the_total_range() -> None:
    data = changed(
        bands=[{"label": "below", "min": -1}, {"label": "ok", "min": 20}, {"label": "x", "min": 41}]
    )
    assert problems(data) == (
        "srs.json: bands[0].min: must lie within the total range 0–40",
        "srs.json: bands[2].min: must lie within the total range 0–40",
    )


def test_an_items_max_must_be_reachable_from_its_min_in_whole_steps() -> None:
    data = changed()
    data["items"][0]["step"] = 3
    data["items"][1]["step"] = 2.5  # 0, 2.5, 5, 7.5, 10: fine
    assert problems(data) == (
        "srs.json: items[0].step: max (10) must be reachable from min (0) in whole steps of 3",
    )


def test_a_version_is_at_most_32_characters_as_it_is_stored_with_every_check_in() -> None:
    assert parse_instrument(json.dumps(changed(version="v" * 32)), source_name="srs.json").version == "v" * 32
    assert problems(changed(version="v" * 33)) == (
        "srs.json: version: must be at most 32 characters (it is stored with every check-in answered on it)",
    )
