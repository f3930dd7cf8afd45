"""Backups of the SQLite database while the app runs, and bringing one back.

`flask backup` copies through SQLite's online backup API, which reads the
database under its own locks: the copy is one consistent moment even while
workers write (a file copy can catch a write half-done, or miss what is still
in the -wal file).  `flask restore` checks that a file is a kit database before
writing it back the same way.  On PostgreSQL, pg_dump and pg_restore do this.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from kit.errors import StartupError
from kit.store import Store, store

POSTGRES_HINT = (
    "DATABASE_URL is PostgreSQL: back it up with `pg_dump --format=custom --file=app.dump $DATABASE_URL` "
    "and bring it back with `pg_restore --clean --dbname=$DATABASE_URL app.dump`."
)


def folder(app: Flask) -> Path:
    """Where `flask backup` writes when given no path: the instance folder's backups/."""
    return Path(app.instance_path) / "backups"


def copies(app: Flask) -> list[Path]:
    """The files in the backups folder, by name."""
    where = folder(app)
    return sorted(path for path in where.iterdir() if path.is_file()) if where.is_dir() else []


def static_folders(app: Flask) -> list[str]:
    """Every folder Flask serves files from: the app's and each blueprint's."""
    folders = [app.static_folder, *(bp.static_folder for bp in app.blueprints.values())]
    return [folder for folder in folders if folder]


def is_sqlite(path: Path) -> bool:
    """Whether the file is a SQLite database, whatever its name (by its first 16 bytes)."""
    try:
        with path.open("rb") as file:
            return file.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def sqlite_path(kit_store: Store) -> Path:
    """The SQLite file of the store, or a ClickException saying what to use instead."""
    if not kit_store.is_sqlite:
        raise click.ClickException(POSTGRES_HINT)
    return Path(kit_store.url.database or "")


def backup(kit_store: Store, target: Path) -> None:
    """Copy the live database to `target`, consistent however many write meanwhile.

    The copy holds every password hash, so it is its owner's alone (0600) from its
    first byte, and so is a folder made for it (0700). It is written beside the
    target and renamed onto it when whole: a failed backup leaves an older one as it was.
    """
    if target.exists() and target.stat().st_size and not is_sqlite(target):
        raise click.ClickException(f"{target} exists and is not a database; name another file.")
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)  # 0600
        os.close(handle)
        try:
            copy_database(kit_store, Path(partial))
            os.replace(partial, target)
        finally:
            Path(partial).unlink(missing_ok=True)
    except (OSError, sqlite3.Error) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise click.ClickException(f"Can't write {target}: {reason[:1].lower() + reason[1:]}.") from None


def copy_database(kit_store: Store, target: Path) -> None:
    """The live database, copied into `target` through SQLite's backup API."""
    source = kit_store.db.engine.raw_connection()
    try:
        with closing(sqlite3.connect(target)) as copy:
            source.driver_connection.backup(copy)
    finally:
        source.close()


def check_kit_database(path: Path) -> None:
    """Refuse a file that isn't a whole SQLite database made by the kit."""
    if not path.is_file():
        raise click.ClickException(f"{path} doesn't exist.")
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            intact = db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError:
        raise click.ClickException(f"{path} is not a SQLite database.") from None
    if not {"kit_count", "kit_user"} <= tables:
        raise click.ClickException(f"{path} is not a kit database: it has no kit_count or kit_user table.")
    if not intact:
        raise click.ClickException(f"{path} is damaged (PRAGMA quick_check fails); choose another backup.")


def restore(kit_store: Store, source: Path) -> None:
    """Replace the live database's contents with `source`'s, in one step under SQLite's lock.

    The backup is first brought up to models.py in a copy (new columns, indexes): one that
    models.py can't start on (a field since turned to money over its numbers) is refused
    with nothing restored.
    """
    check_kit_database(source)
    with tempfile.TemporaryDirectory() as folder:
        trial = Path(folder) / source.name
        read_only = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        with closing(read_only) as backup_db, closing(sqlite3.connect(trial)) as copy:
            backup_db.backup(copy)
        fitted = Store(f"sqlite:///{trial}", kit_store.schema, pool=1)
        try:
            fitted.sync()
        except StartupError as error:
            said = f"Nothing was restored: {source} doesn't fit models.py. {error.message}"
            raise click.ClickException(said) from None
        finally:
            fitted.close()
        live = kit_store.db.engine.raw_connection()
        try:
            with closing(sqlite3.connect(trial)) as fitted_db:
                fitted_db.backup(live.driver_connection)
        finally:
            live.close()
    kit_store.db.engine.dispose()  # no pooled connection keeps a page of the old contents


@click.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path | None) -> None:
    """Write a consistent copy of the SQLite database (default: instance/backups/app-<time>.db)."""
    kit_store = store()
    live = sqlite_path(kit_store)
    if path is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = folder(current_app) / f"{live.stem}-{stamp}.db"
    if path.resolve() == live.resolve():
        raise click.ClickException(f"{path} is the live database; name another file.")
    if any(path.resolve().is_relative_to(Path(served).resolve()) for served in static_folders(current_app)):
        raise click.ClickException(f"{path} is in a static folder, open to anyone; name another file.")
    backup(kit_store, path)
    click.echo(f"Backed up {live.name} to {path} ({path.stat().st_size / 1e6:,.1f} MB).")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Don't ask before replacing every row.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Bring back a backup made by `flask backup`, replacing every row of the live database."""
    kit_store = store()
    live = sqlite_path(kit_store)
    if path.resolve() == live.resolve():
        raise click.ClickException(f"{path} is the live database itself; name a backup.")
    check_kit_database(path)
    if not yes:
        click.confirm(f"Replace every row in {live.name} with the contents of {path}?", abort=True)
    restore(kit_store, path)
    click.echo(f"Restored {live.name} from {path}.")


def init_app(app: Flask) -> None:
    """`flask backup` and `flask restore`."""
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
