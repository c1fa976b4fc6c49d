"""Installed instrument definitions: stored as given, stamped so a cache knows when to reload."""

from safeenough.practice import Practice


def test_a_definition_is_stored_byte_for_byte_and_a_second_add_of_its_id_is_refused(
    practice: Practice,
) -> None:
    given = b'\xef\xbb\xbf{"id": "srs"}\n'
    with practice.store.transaction() as work:
        assert work.instruments.add("srs", "3.0", given, "my-srs.json")
        assert not work.instruments.add("srs", "9.9", b"{}", "other.json")
        assert work.instruments.ids() == {"srs"}
    with practice.store.reading_instruments() as stored:
        [found] = stored.all()
        stamps = stored.stamps()
    assert (found.id, found.version, found.definition, found.source_name, found.revision) == (
        "srs",
        "3.0",
        given,
        "my-srs.json",
        1,
    )
    assert found.installed_at.tzinfo is not None
    assert stamps == (found.stamp,)


def test_replacing_a_definition_raises_its_revision_and_changes_its_stamp(practice: Practice) -> None:
    with practice.store.transaction() as work:
        assert not work.instruments.replace("ors", "1", b"{}", "ors.json")
        work.instruments.add("srs", "3.0", b"{}", "srs.json")
        work.instruments.add("ors", "1.0", b"{}", "ors.json")
    with practice.store.reading_instruments() as stored:
        before = stored.stamps()
    with practice.store.transaction() as work:
        assert work.instruments.replace("srs", "3.0", b"{ }", "srs.json")
    with practice.store.reading_instruments() as stored:
        after = stored.stamps()
        [ors, srs] = stored.all()
    assert [stamp[0] for stamp in after] == ["ors", "srs"]
    assert after[0] == before[0]
    assert after[1] != before[1]
    assert (srs.revision, srs.definition) == (2, b"{ }")
    assert ors.revision == 1
