import json
from pathlib import Path
from typing import Any

import pytest

from safeenough.errors import InvalidInput, NotFound
from safeenough.instruments import (
    InstrumentFileInvalid,
    check_installable,
    legacy_instrument_files,
    load_catalogue,
    read_instrument_file,
    user_instruments_dir,
)
from tests.instruments.test_loader import SRS


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def definition(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode("utf-8")


def test_without_user_definitions_the_catalogue_holds_the_built_in_instruments() -> None:
    catalogue = load_catalogue()
    assert catalogue.ids == ("safeenough-safety", "gad-7", "phq-9")
    assert catalogue.is_builtin("phq-9")
    assert "phq-9" in catalogue
    assert len(catalogue) == 3
    with pytest.raises(NotFound, match="no instrument 'srs'"):
        catalogue.get("srs")


def test_a_user_definition_given_as_bytes_joins_the_catalogue_after_the_built_in_ones() -> None:
    catalogue = load_catalogue([("srs.json", definition(SRS))])
    assert catalogue.ids == ("safeenough-safety", "gad-7", "phq-9", "srs")
    assert catalogue.get("srs").title == "Session Rating Scale"
    assert not catalogue.is_builtin("srs")
    assert catalogue.problems == ()


def test_a_broken_or_clashing_user_definition_is_left_out_and_reported_without_stopping_the_catalogue() -> (
    None
):
    catalogue = load_catalogue(
        [
            ("ors.json", b"{"),
            ("shadow.json", definition(dict(SRS, id="gad-7"))),
            ("srs.json", definition(SRS)),
            ("srs-copy.json", definition(dict(SRS, version="3.1"))),
        ]
    )
    assert "srs" in catalogue
    assert catalogue.get("srs").version == "3.0"
    assert catalogue.problems == (
        "ors.json: line 1, column 2: not valid JSON (Expecting property name enclosed in double quotes)",
        "shadow.json: id: 'gad-7' is a built-in instrument; choose another id",
        "srs-copy.json: id: 'srs' is defined by another file too",
    )


def test_reading_a_file_returns_the_instrument_and_its_bytes_as_given(tmp_path: Path) -> None:
    source = tmp_path / "my-srs.json"
    source.write_bytes(b"\xef\xbb\xbf" + definition(SRS))
    instrument, data = read_instrument_file(source)
    assert instrument.id == "srs"
    assert data == source.read_bytes()


def test_reading_an_invalid_file_explains_why(tmp_path: Path) -> None:
    broken = dict(SRS, items=[dict(SRS["items"][0], max=-1)])
    source = write(tmp_path / "srs.json", broken)
    with pytest.raises(InstrumentFileInvalid, match=r"srs\.json: items\[0\]\.max: must be greater than min"):
        read_instrument_file(source)
    with pytest.raises(InstrumentFileInvalid, match=r"absent\.json: cannot be read"):
        read_instrument_file(tmp_path / "absent.json")


def test_an_instrument_cannot_replace_a_built_in_one_or_another_silently(tmp_path: Path) -> None:
    phq, _ = read_instrument_file(write(tmp_path / "phq.json", dict(SRS, id="phq-9")))
    with pytest.raises(InvalidInput, match=r"phq\.json: id: 'phq-9' is a built-in instrument"):
        check_installable(phq, source_name="phq.json", installed_ids=set(), replace=True)
    srs, _ = read_instrument_file(write(tmp_path / "srs.json", SRS))
    check_installable(srs, source_name="srs.json", installed_ids={"ors"})
    with pytest.raises(InvalidInput, match="an instrument 'srs' is already installed; use --replace"):
        check_installable(srs, source_name="srs.json", installed_ids={"srs"})
    check_installable(srs, source_name="srs.json", installed_ids={"srs"}, replace=True)


def test_legacy_instrument_files_are_the_json_files_of_the_old_folder_by_name(tmp_path: Path) -> None:
    assert legacy_instrument_files(tmp_path) == []
    folder = user_instruments_dir(tmp_path)
    folder.mkdir()
    write(folder / "srs.json", SRS)
    (folder / "ors.json").write_text("{", encoding="utf-8")
    (folder / "notes.txt").write_text("not an instrument", encoding="utf-8")
    assert legacy_instrument_files(tmp_path) == [folder / "ors.json", folder / "srs.json"]
