import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeenough.errors import KeyMismatch, KeyMissing
from safeenough.storage.encryption import FieldCipher, create_key_file, load_key_file


def test_a_new_key_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    create_key_file(tmp_path / "secret.key")
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600


def test_a_key_file_is_never_overwritten(tmp_path: Path) -> None:
    create_key_file(tmp_path / "secret.key")
    with pytest.raises(FileExistsError):
        create_key_file(tmp_path / "secret.key")


@given(st.text())
def test_sealed_text_opens_to_the_same_text(plaintext: str) -> None:
    cipher = FieldCipher(b"k" * 32)
    sealed = cipher.seal(plaintext, field="sessions.note")
    assert plaintext == cipher.open(sealed, field="sessions.note")
    assert sealed.startswith("v1:")


def test_sealing_twice_gives_different_ciphertexts() -> None:
    cipher = FieldCipher(b"k" * 32)
    assert cipher.seal("same", field="f") != cipher.seal("same", field="f")


def test_a_different_key_gives_a_clear_error_not_garbage() -> None:
    sealed = FieldCipher(b"a" * 32).seal("Mara said she felt judged", field="sessions.note")
    with pytest.raises(KeyMismatch, match="different key"):
        FieldCipher(b"b" * 32).open(sealed, field="sessions.note")


def test_a_value_moved_to_another_column_does_not_open() -> None:
    cipher = FieldCipher(b"a" * 32)
    sealed = cipher.seal("text", field="sessions.note")
    with pytest.raises(KeyMismatch):
        cipher.open(sealed, field="cases.title")


def test_a_missing_key_file_says_where_it_was_expected(tmp_path: Path) -> None:
    with pytest.raises(KeyMissing, match=r"secret\.key does not exist"):
        load_key_file(tmp_path / "secret.key")


def test_a_file_that_is_not_a_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_text("hello")
    with pytest.raises(KeyMismatch, match="not a safeenough key file"):
        load_key_file(tmp_path / "secret.key")
