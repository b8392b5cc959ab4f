"""Pending notes (index/pending.py): what a killed ingest leaves for the next publish."""

from __future__ import annotations

from pathlib import Path

from likewise.index.pending import PendingNotes


def test_a_writer_killed_during_its_commit_leaves_its_provisional_note(tmp_path: Path) -> None:
    notes = PendingNotes(tmp_path / "pending")
    notes.before_commit()  # ... and the process dies here
    assert PendingNotes(tmp_path / "pending").any()


def test_a_commit_that_changed_nothing_leaves_no_note(tmp_path: Path) -> None:
    notes = PendingNotes(tmp_path / "pending")
    notes.before_commit()
    notes.after_commit(changed=False)
    assert not notes.any()


def test_a_writer_keeps_one_note_written_after_its_latest_changing_commit(
    tmp_path: Path,
) -> None:
    notes = PendingNotes(tmp_path / "pending")
    for changed in (True, True, False, True):
        notes.before_commit()
        notes.after_commit(changed=changed)
    assert len(notes.present()) == 1


def test_a_publish_removes_only_the_notes_it_saw_before_reading_the_catalog(
    tmp_path: Path,
) -> None:
    writer, publisher = PendingNotes(tmp_path / "p"), PendingNotes(tmp_path / "p")
    writer.before_commit()
    writer.after_commit(changed=True)
    covered = publisher.present()
    writer.before_commit()  # a commit lands while the publisher reads the catalog
    writer.after_commit(changed=True)
    publisher.remove(covered)
    assert publisher.any()
    publisher.remove(publisher.present())
    assert not publisher.any()


def test_a_home_that_cannot_be_written_has_no_notes(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    notes = PendingNotes(blocked / "pending")
    notes.before_commit()
    notes.after_commit(changed=True)
    assert not notes.any()
