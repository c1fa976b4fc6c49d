import json
from pathlib import Path
from typing import Any

import pytest

from safeenough.errors import InvalidInput, NotFound
from safeenough.instruments import (
    InstrumentFileInvalid,
    install_instrument,
    load_catalogue,
    user_instruments_dir,
)
from tests.instruments.test_loader import SRS


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_without_a_data_dir_the_catalogue_holds_the_built_in_instruments() -> None:
    catalogue = load_catalogue()
    assert catalogue.ids == ("safeenough-safety", "gad-7", "phq-9")
    assert catalogue.is_builtin("phq-9")
    assert "phq-9" in catalogue
    assert len(catalogue) == 3
    with pytest.raises(NotFound, match="no instrument 'srs'"):
        catalogue.get("srs")


def test_an_installed_instrument_joins_the_catalogue(tmp_path: Path) -> None:
    source = write(tmp_path / "my-srs.json", SRS)
    installed = install_instrument(source, tmp_path / "data")
    assert installed.id == "srs"
    assert (user_instruments_dir(tmp_path / "data") / "srs.json").is_file()
    catalogue = load_catalogue(tmp_path / "data")
    assert catalogue.get("srs").title == "Session Rating Scale"
    assert not catalogue.is_builtin("srs")
    assert catalogue.problems == ()


def test_installing_an_invalid_file_writes_nothing_and_explains_why(tmp_path: Path) -> None:
    broken = dict(SRS, items=[dict(SRS["items"][0], max=-1)])
    source = write(tmp_path / "srs.json", broken)
    with pytest.raises(InstrumentFileInvalid, match=r"srs\.json: items\[0\]\.max: must be greater than min"):
        install_instrument(source, tmp_path / "data")
    assert not user_instruments_dir(tmp_path / "data").exists()


def test_an_instrument_cannot_replace_a_built_in_one_or_another_silently(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="'phq-9' is a built-in instrument"):
        install_instrument(write(tmp_path / "phq.json", dict(SRS, id="phq-9")), tmp_path / "data")
    source = write(tmp_path / "srs.json", SRS)
    install_instrument(source, tmp_path / "data")
    with pytest.raises(InvalidInput, match="already installed"):
        install_instrument(source, tmp_path / "data")
    write(source, dict(SRS, version="3.1"))
    assert install_instrument(source, tmp_path / "data", replace=True).version == "3.1"
    assert load_catalogue(tmp_path / "data").get("srs").version == "3.1"


def test_a_broken_user_file_is_left_out_and_reported_without_stopping_the_catalogue(tmp_path: Path) -> None:
    folder = user_instruments_dir(tmp_path)
    folder.mkdir()
    (folder / "ors.json").write_text("{", encoding="utf-8")
    write(folder / "shadow.json", dict(SRS, id="gad-7"))
    write(folder / "srs.json", SRS)
    catalogue = load_catalogue(tmp_path)
    assert "srs" in catalogue
    assert catalogue.problems == (
        "ors.json: line 1, column 2: not valid JSON (Expecting property name enclosed in double quotes)",
        "shadow.json: id: 'gad-7' is a built-in instrument; choose another id",
    )
