"""`flask backup` and `flask restore`: a consistent copy while writers write, and back again."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import types
from contextlib import closing
from pathlib import Path

import pytest

import models
from tests.conftest import ON_POSTGRES, make_app, sqlite_only


def rows_and_kept_counts(path) -> list[tuple[str, int, int]]:
    """(table, rows in it, rows the kit's count says) for every entity table of a database file."""
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        kept = dict(db.execute("SELECT entity, rows FROM kit_count"))
        return [
            (name, db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0], rows)
            for name, rows in kept.items()
        ]


@sqlite_only
def test_a_backup_taken_while_writers_write_is_one_consistent_moment(app, runner, tmp_path):
    repo = app.extensions["kit.store"]["category"]
    stop = threading.Event()

    def write() -> None:
        with app.app_context():
            n = 0
            while not stop.is_set():
                repo.create({"name": f"Kategorie {n} – ü"})
                n += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        copies = []
        for n in range(3):
            copy = tmp_path / f"copy-{n}.db"
            result = runner.invoke(args=["backup", str(copy)])
            assert result.exit_code == 0, result.output
            assert result.output.startswith(f"Backed up test.db to {copy}")
            copies.append(copy)
    finally:
        stop.set()
        writer.join()
    for copy in copies:
        for table, rows, kept in rows_and_kept_counts(copy):
            assert rows == kept, table  # a copy caught mid-write would disagree with its own count


@sqlite_only
def test_a_backup_without_a_path_goes_to_the_instance_folder(app, runner, tmp_path):
    app.instance_path = str(tmp_path / "instance")  # never the checkout's own folder
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    assert "instance/backups/test-" in result.output
    assert [copy.name[:5] for copy in (tmp_path / "instance" / "backups").iterdir()] == ["test-"]


@pytest.fixture
def usual_umask():
    """The umask most servers run with (022): files are readable by all unless made otherwise."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@sqlite_only
def test_a_backup_and_the_folder_made_for_it_are_readable_by_their_owner_only(
    app, runner, tmp_path, usual_umask
):
    app.instance_path = str(tmp_path / "instance")
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    [copy] = (tmp_path / "instance" / "backups").iterdir()
    assert (mode(copy.parent), mode(copy)) == (0o700, 0o600)
    older = tmp_path / "older.db"
    older.write_bytes(b"")
    older.chmod(0o644)
    result = runner.invoke(args=["backup", str(older)])
    assert result.exit_code == 0, result.output
    assert mode(older) == 0o600
    assert rows_and_kept_counts(older)


@sqlite_only
def test_restore_brings_the_rows_back(app, runner, tmp_path):
    with app.app_context():
        repo = app.extensions["kit.store"]["category"]
        kept = repo.create({"name": "Bleibt – ö"})
    assert runner.invoke(args=["backup", str(tmp_path / "before.db")]).exit_code == 0
    with app.app_context():
        repo.delete(kept["id"])
        repo.create({"name": "Später"})
    result = runner.invoke(args=["restore", str(tmp_path / "before.db"), "--yes"])
    assert result.exit_code == 0, result.output
    assert result.output == f"Restored test.db from {tmp_path / 'before.db'}.\n"
    with app.app_context():
        assert [row["name"] for row in repo.iterate()] == ["Bleibt – ö"]
        assert repo.count() == 1


@sqlite_only
def test_a_backup_from_before_an_entity_was_declared_restores_with_its_table_made(app, runner, tmp_path):
    older = types.ModuleType("models_then")
    older.category = models.category
    (tmp_path / "then").mkdir()
    then = make_app(tmp_path / "then", older)
    with then.app_context():
        then.extensions["kit.store"]["category"].create({"name": "Damals – ö"})
    then.extensions["kit.store"].close()
    result = runner.invoke(args=["restore", str(tmp_path / "then" / "test.db"), "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        assert [row["name"] for row in kit_store["category"].iterate()] == ["Damals – ö"]
        assert kit_store["product"].count() == 0
        assert kit_store["product"].create({"name": "Neu", "category": 1, "price": "1.00"})["id"] == 1


@sqlite_only
def test_restore_asks_first_and_changes_nothing_when_told_no(app, runner, tmp_path):
    assert runner.invoke(args=["backup", str(tmp_path / "empty.db")]).exit_code == 0
    with app.app_context():
        app.extensions["kit.store"]["category"].create({"name": "Bleibt"})
    result = runner.invoke(args=["restore", str(tmp_path / "empty.db")], input="n\n")
    assert result.exit_code == 1 and "Replace every row in test.db" in result.output
    with app.app_context():
        assert app.extensions["kit.store"]["category"].count() == 1


@sqlite_only
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,price\nTee,3\n", "is not a SQLite database."),
        ("sqlite-but-not-kit", "is not a kit database: it has no kit_count or kit_user table."),
        (None, "doesn't exist."),
    ],
    ids=["csv", "other sqlite", "missing"],
)
def test_restore_refuses_what_is_not_a_kit_database(app, runner, tmp_path, content, message):
    path = tmp_path / "other.db"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content:
        with closing(sqlite3.connect(path)) as db:
            db.execute("CREATE TABLE notes (text)")
    with app.app_context():
        app.extensions["kit.store"]["category"].create({"name": "Bleibt"})
    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 1 and result.output == f"Error: {path} {message}\n"
    with app.app_context():
        assert app.extensions["kit.store"]["category"].count() == 1


@pytest.mark.skipif(not ON_POSTGRES, reason="says what to use on PostgreSQL")
def test_on_postgresql_backup_and_restore_point_to_pg_dump(runner, tmp_path):
    for args in (["backup"], ["restore", str(tmp_path / "x.db"), "--yes"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and "pg_dump --format=custom" in result.output


@sqlite_only
def test_backup_refuses_to_overwrite_the_live_database(runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "test.db")])
    assert result.exit_code == 1 and "is the live database" in result.output


@sqlite_only
def test_backup_refuses_a_static_folder_where_anyone_could_download_it(app, runner):
    target = Path(app.static_folder) / "shop.bak"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 1
    assert f"{target} is in a static folder, open to anyone; name another file." in result.output
    assert not target.exists()


@sqlite_only
def test_restore_refuses_the_live_database_itself(runner, tmp_path):
    result = runner.invoke(args=["restore", str(tmp_path / "test.db"), "--yes"])
    assert (
        result.exit_code == 1
        and result.output == f"Error: {tmp_path / 'test.db'} is the live database itself; name a backup.\n"
    )


@sqlite_only
def test_a_backup_models_py_cant_start_on_is_refused_with_nothing_restored(app, runner, tmp_path):
    from kit.declare import Entity, Integer, Text

    older = types.ModuleType("models_then")
    older.category = Entity("category", Text("name", required=True, unique=True), Integer("description"))
    (tmp_path / "then").mkdir()
    then = make_app(tmp_path / "then", older)
    with then.app_context():
        then.extensions["kit.store"]["category"].create({"name": "Damals", "description": 12})
    then.extensions["kit.store"].close()
    with app.app_context():
        app.extensions["kit.store"]["category"].create({"name": "Bleibt"})
    result = runner.invoke(args=["restore", str(tmp_path / "then" / "test.db"), "--yes"])
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: Nothing was restored: {tmp_path / 'then' / 'test.db'} doesn't fit models.py."
    )
    assert "'description'" in result.output
    with app.app_context():
        assert [row["name"] for row in app.extensions["kit.store"]["category"].iterate()] == ["Bleibt"]


@sqlite_only
def test_a_backup_that_cant_be_written_says_where_in_a_sentence(runner, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    result = runner.invoke(args=["backup", str(tmp_path / "a-file" / "copy.db")])
    assert result.exit_code == 1 and result.output.startswith(
        f"Error: Can't write {tmp_path / 'a-file' / 'copy.db'}: "
    )
    assert "Traceback" not in result.output


@sqlite_only
def test_a_backup_never_writes_over_a_file_that_is_no_database(runner, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("# Pitch notes\n")
    result = runner.invoke(args=["backup", str(notes)])
    assert (
        result.exit_code == 1
        and result.output == f"Error: {notes} exists and is not a database; name another file.\n"
    )
    assert notes.read_text() == "# Pitch notes\n"


@sqlite_only
def test_a_backup_replaces_an_older_backup_whole(app, runner, tmp_path):
    target = tmp_path / "nightly.db"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    with app.app_context():
        app.extensions["kit.store"]["category"].create({"name": "Neu"})
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    assert ("category", 1, 1) in rows_and_kept_counts(target)
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".nightly")] == []
