"""Demo data: one CSV file per entity in seed/, loaded all-or-nothing.

A reference column holds the natural key of the row it points to (the
customer's email, the category's name), never a raw id; it is matched as the
key field reads it, so 'ZOE@example.com' finds zoe@example.com.  An empty
cell means "no value given": the field's default applies, as for an API body
without the field.  Every row has as many cells as the header has columns.
Loading twice adds nothing: rows whose key is already stored are left as they
are.  An entity without a unique field is loaded only into an empty table;
its file is still checked on every run.  seed/ holds nothing else but a
README and hidden files: any other file is refused rather than ignored.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from kit import fake
from kit.errors import ValidationError
from kit.fields import Reference
from kit.store import BULK_ROWS, START_UP_LOCK, Repository, Row, Store, store

PROGRESS_FROM = 5_000
"""Files with more rows than this show a progress bar."""


class SeedError(click.ClickException):
    """A seed file the kit can't load; names file, row and field."""


RawRow = dict[str, str]
"""One CSV row: column name -> cell text."""


class SeedFile:
    """One entity's CSV file: its rows as raw strings, each with its row number."""

    def __init__(self, path: Path, repo: Repository, root: Path) -> None:
        self.path, self.repo = path, repo
        self.name = path.relative_to(root.parent).as_posix()
        lines = self.read()
        if not lines or not lines[0]:
            columns = ", ".join(name for name, f in repo.entity.fields.items() if not f.hidden)
            empty = "is empty" if not any(lines) else "starts with a blank line"
            raise SeedError(f"{self.name} {empty}; its first line names the columns: {columns}.")
        header = lines[0]
        self.check_header(header)
        self.rows: list[tuple[int, RawRow]] = []
        for number, cells in enumerate(lines[1:], start=2):
            if not cells:
                continue  # a blank line
            if len(cells) != len(header):
                raise SeedError(
                    f"{self.where(number)}: {counted(len(cells), 'cell')} but the header has "
                    f"{counted(len(header), 'column')}."
                )
            self.rows.append((number, dict(zip(header, cells, strict=True))))

    def read(self) -> list[list[str]]:
        """The file's lines as lists of cells; a file that isn't UTF-8 CSV is refused."""
        try:
            with self.path.open(newline="", encoding="utf-8-sig") as handle:
                # strict: a quote left open would otherwise take in every line after it, silently
                reader = csv.reader(handle, strict=True)
                lines: list[list[str]] = []
                try:
                    lines.extend(reader)
                except csv.Error as error:
                    if str(error) == "unexpected end of data":
                        raise SeedError(
                            f'{self.where(len(lines) + 1)}: a quote (") opens a cell and is never closed.'
                        ) from None
                    raise SeedError(
                        f"{self.name}, line {reader.line_num}: this is not CSV ({error})."
                    ) from None
                return lines
        except UnicodeDecodeError:
            raise SeedError(f"{self.name}: the file is not UTF-8 text; save it as CSV UTF-8.") from None
        except OSError as error:
            raise SeedError(f"{self.name}: the file can't be read ({error.strerror}).") from None

    def check_header(self, header: list[str]) -> None:
        """Refuse a header with an empty, repeated or unknown column name."""
        repo = self.repo
        for position, name in enumerate(header, start=1):
            if not name.strip():
                raise SeedError(f"{self.name}: column {position} of the header has no name.")
            if header.index(name) != position - 1:
                raise SeedError(f"{self.name}: column '{name}' is in the header twice.")
            if name not in repo.entity.fields or repo.fields[name].hidden:
                raise SeedError(
                    f"{self.name}: column '{name}' is not a field of {repo.name}; "
                    f"fields are: {', '.join(repo.entity.fields)}."
                )

    def where(self, number: int, field: str | None = None) -> str:
        """'seed/order.csv, row 12, customer' (row 1 is the header, as in a spreadsheet)."""
        place = f"{self.name}, row {number}"
        return f"{place}, {field}" if field else place


class Loader:
    """Loads every seed file into the store inside one transaction."""

    def __init__(self, kit_store: Store, folder: Path) -> None:
        self.store, self.folder = kit_store, folder
        self.files: list[SeedFile] = []
        self.skipped: list[SeedFile] = []  # checked, not loaded: no natural key, and rows already stored
        names = {repo.name for repo in kit_store}
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            place = path.relative_to(folder.parent).as_posix()
            if path.name.startswith(".") or path.stem.upper() == "README":
                continue
            if path.suffix != ".csv" or not path.is_file():
                raise SeedError(
                    f"{place}: {folder.name}/ holds one .csv file per entity; "
                    "convert this file to CSV or move it out."
                )
            if path.stem not in names or path.stem.startswith("kit_"):
                raise SeedError(f"{place}: there is no entity '{path.stem}' in models.py.")
        for entity in kit_store.schema.load_order():
            path = folder / f"{entity.name}.csv"
            if path.exists():
                self.files.append(SeedFile(path, kit_store[entity.name], folder))

    def run(self, reset: bool = False, only_if_empty: bool = False) -> dict[str, int]:
        """Load all files; returns rows added per entity. On any error nothing changes.

        Under the store's lock, so two workers starting together load once:
        the second looks (`only_if_empty`) only after the first has committed.
        """
        added: dict[str, int] = {}
        with self.store.transaction(lock=START_UP_LOCK) as conn:
            if only_if_empty and any(repo.count() for repo in self.store if not repo.name.startswith("kit_")):
                return added
            if reset:
                for repo in reversed(list(self.store)):
                    if not repo.name.startswith("kit_"):
                        repo.delete_all(conn)
            later: list[tuple[SeedFile, list[tuple[int, int, RawRow]]]] = []
            for seed in self.files:
                added[seed.repo.name], stored = self.load_file(seed, conn)
                later.append((seed, stored))
            for seed, stored in later:
                self.link_later(seed, stored, conn)
        return added

    def load_file(self, seed: SeedFile, conn: sa.Connection) -> tuple[int, list[tuple[int, int, RawRow]]]:
        """Check every row, store the new ones; returns their count and each one's (id, number, raw)."""
        repo = seed.repo
        key = repo.entity.key
        present = self.existing_keys(repo, key, seed, conn) if key else set()
        resolved = {ref.name: self.resolve(seed, ref, conn) for ref in self.references(seed, later=False)}
        unique = [f.name for f in repo.entity.fields.values() if f.unique]
        seen: dict[str, dict[Any, int]] = {name: {} for name in unique}
        rows, numbered = [], []
        for number, raw in seed.rows:
            row = self.clean(seed, number, raw, resolved)
            for name in unique:
                if row[name] is None:
                    continue
                if row[name] in seen[name]:
                    first = seen[name][row[name]]
                    raise SeedError(f"{seed.where(number, name)}: '{raw[name]}' is already in row {first}.")
                seen[name][row[name]] = number
            if key and row[key] in present:
                continue
            rows.append(row)
            numbered.append((number, raw))
        if key is None and conn.execute(sa.select(repo.table.c.id).limit(1)).first():
            self.skipped.append(seed)  # no natural key: a file is loaded only into an empty table
            return 0, []
        self.check_taken(seed, rows, numbered, [n for n in unique if n != key], conn)
        if not self.references(seed, later=True):
            return repo.load(progress(rows, len(rows), repo.name), conn, bulk=len(rows) >= BULK_ROWS), []
        if not self.store.is_sqlite:  # the new rows' ids, read below, are this load's alone
            table = conn.dialect.identifier_preparer.format_table(repo.table)
            conn.exec_driver_sql(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        last = conn.execute(sa.select(sa.func.max(repo.table.c.id))).scalar() or 0
        count = repo.load(progress(rows, len(rows), repo.name), conn, bulk=len(rows) >= BULK_ROWS)
        ids = conn.execute(sa.select(repo.table.c.id).where(repo.table.c.id > last).order_by(repo.table.c.id))
        return count, [(id, number, raw) for id, (number, raw) in zip(ids.scalars(), numbered, strict=True)]

    def references(self, seed: SeedFile, later: bool) -> list[Reference]:
        """The file's references filled as its rows are stored, or (`later`) once every file is in."""
        schema, entity = self.store.schema, seed.repo.entity
        return [ref for ref in entity.references if schema.linked_later(entity, ref) == later]

    def clean(
        self, seed: SeedFile, number: int, raw: RawRow, resolved: dict[str, dict[str, int | None]]
    ) -> Row:
        """The row as the entity's values; an empty cell is left out, so the field's default applies."""
        data: dict[str, Any] = {}
        for name, value in raw.items():
            field = seed.repo.fields[name]
            if not value.strip():
                continue
            if isinstance(field, Reference):
                if name not in resolved:
                    continue  # linked once every file is in
                data[name] = self.target_id(seed, number, field, value, resolved[name])
                continue
            data[name] = value
        try:
            return seed.repo.clean(data, check_db=False)
        except ValidationError as error:
            field, message = next(iter(error.fields.items()))
            raise SeedError(f"{seed.where(number, field)}: {message}") from None

    def check_taken(
        self,
        seed: SeedFile,
        rows: list[Row],
        numbers: list[tuple[int, dict[str, Any]]],
        names: list[str],
        conn: sa.Connection,
    ) -> None:
        """Refuse rows whose unique fields (other than the key) are already stored."""
        repo = seed.repo
        for name in names:
            field, column = repo.fields[name], repo.table.c[name]
            values = {field.to_db(row[name]): i for i, row in enumerate(rows) if row[name] is not None}
            chunks = [list(values)[start : start + 500] for start in range(0, len(values), 500)]
            for chunk in chunks:
                taken = conn.execute(sa.select(column).where(column.in_(chunk)).limit(1)).scalar()
                if taken is not None:
                    number, raw = numbers[values[taken]]
                    raise SeedError(f"{seed.where(number, name)}: '{raw[name]}' is already taken.")

    def existing_keys(self, repo: Repository, key: str, seed: SeedFile, conn: sa.Connection) -> set[Any]:
        field = repo.fields[key]
        return {field.from_db(v) for v in conn.execute(sa.select(repo.table.c[key])).scalars()}

    def resolve(self, seed: SeedFile, ref: Reference, conn: sa.Connection) -> dict[str, int | None]:
        """Natural key text -> id for every value a reference column of the file uses.

        Each text is matched as the key field cleans it, so two spellings of one
        email find the same row.  Without a unique key rows are referred to by
        title; a title two rows share maps to None (see `target_id`).
        """
        target = self.store[ref.to]
        key = target.entity.key or target.entity.title
        field = target.fields[key]
        texts: dict[Any, list[str]] = {}
        for text in {raw.get(ref.name, "") for _, raw in seed.rows} - {""}:
            try:
                texts.setdefault(field.to_db(field.clean(text)), []).append(text)
            except ValueError:
                continue  # reported as "no such row" where it is used
        by_text: dict[str, int | None] = {}
        values = list(texts)
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            statement = sa.select(target.table.c[key], target.table.c.id).where(
                target.table.c[key].in_(chunk)
            )
            for value, id in conn.execute(statement):
                for text in texts[value]:
                    by_text[text] = None if text in by_text else id
        return by_text

    def target_id(
        self, seed: SeedFile, number: int, ref: Reference, text: str, ids: dict[str, int | None]
    ) -> int:
        """The id row `number`'s `text` refers to, or the sentence saying why there is none."""
        target = self.store[ref.to]
        label = target.entity.noun(many=False)
        if text not in ids:
            raise SeedError(f"{seed.where(number, ref.name)}: no {label} '{text}'.")
        id = ids[text]
        if id is None:
            raise SeedError(
                f"{seed.where(number, ref.name)}: more than one {label} is '{text}'; "
                f"give {target.name} a unique field to be referred to by."
            )
        return id

    def link_later(self, seed: SeedFile, stored: list[tuple[int, int, RawRow]], conn: sa.Connection) -> None:
        """Fill the references left out while storing (to rows of its own file, or of a later one).

        Rows not stored by this run are checked too: what they refer to must exist.
        """
        table = seed.repo.table
        new = {number for _, number, _ in stored}
        for ref in self.references(seed, later=True):
            ids = self.resolve(seed, ref, conn)
            for number, raw in seed.rows:
                text = raw.get(ref.name, "")
                if number not in new and text.strip() and text not in ids:
                    self.target_id(seed, number, ref, text, ids)  # refuses it
            links = [
                {"_row": id, "_target": self.target_id(seed, number, ref, raw[ref.name], ids)}
                for id, number, raw in stored
                if raw.get(ref.name, "").strip()
            ]  # no declared name starts with _
            if links:
                update = table.update().where(table.c.id == sa.bindparam("_row"))
                conn.execute(update.values({ref.name: sa.bindparam("_target")}), links)


def progress(rows: Iterable[Row], total: int, name: str) -> Iterator[Row]:
    """The rows, with a progress bar on the terminal when there are many."""
    if total < PROGRESS_FROM:
        yield from rows
        return
    with click.progressbar(
        rows, length=total, label=f"Loading {name}", file=click.get_text_stream("stderr")
    ) as bar:
        yield from bar


def seed_folder(app: Flask) -> Path:
    return Path(app.root_path) / "seed"


def load(app: Flask, reset: bool = False, only_if_empty: bool = False) -> str:
    """Load the seed folder into the app's store; returns the one-line summary ("" if skipped)."""
    started = time.perf_counter()
    loader = Loader(store(), seed_folder(app))
    added = loader.run(reset=reset, only_if_empty=only_if_empty)
    total, tables = sum(added.values()), sum(1 for n in added.values() if n)
    seconds = time.perf_counter() - started
    if only_if_empty and not added:
        return ""  # another worker seeded first
    if not total and not loader.skipped:
        return "Nothing to seed: every row in seed/ is already stored."
    if not total:
        return f"Nothing new to seed; {not_loaded(loader.skipped)}."
    summary = f"Seeded {counted(total, 'row')} in {counted(tables, 'table')} in {seconds:.1f} s"
    return f"{summary}; {not_loaded(loader.skipped)}." if loader.skipped else f"{summary}."


def not_loaded(files: list[SeedFile]) -> str:
    """Why files were checked and not loaded: their entities have rows and no natural key."""
    verb, where = ("loads", "an empty table") if len(files) == 1 else ("load", "empty tables")
    names = listed([seed.name for seed in files])
    return f"{names} {verb} only into {where} (no unique field to match rows by)"


def listed(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def counted(number: int, noun: str) -> str:
    """'1 row', '1,204 rows'."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def load_fake(kit_store: Store, names: list[str], rows: int) -> str:
    """Add `rows` made-up valid rows to each named entity, in one transaction."""
    started = time.perf_counter()
    wanted = [e for e in kit_store.schema.load_order() if e.name in names]
    with kit_store.transaction() as conn:
        for entity in wanted:
            repo = kit_store[entity.name]
            references = {ref.name: sample_ids(kit_store[ref.to], conn) for ref in entity.references}
            missing = [r for r in entity.references if r.required and not references[r.name]]
            if missing:
                ref = missing[0]
                what = ref.to if ref.to == ref.name else f"{ref.to} for {ref.name}"
                raise SeedError(f"{entity.name}: no {what} to refer to; fill {ref.to} first.")
            first = (conn.execute(sa.select(sa.func.max(repo.table.c.id))).scalar() or 0) + 1
            made = (
                repo.clean(fake.row(repo, n, references), check_db=False) for n in range(first, first + rows)
            )
            try:
                repo.load(progress(made, rows, entity.name), conn, bulk=rows >= BULK_ROWS)
            except sa.exc.IntegrityError as error:
                raise SeedError(
                    f"{entity.name}: a made-up row clashed with a stored one ({error.orig})."
                ) from None
            except ValidationError as error:
                field, message = next(iter(error.fields.items()))
                raise SeedError(f"{entity.name}, {field}: made-up values ran out ({message})") from None
    seconds = time.perf_counter() - started
    names = ", ".join(e.name for e in wanted)
    return f"Added {counted(rows * len(wanted), 'made-up row')} to {names} in {seconds:.1f} s."


def sample_ids(repo: Repository, conn: sa.Connection, limit: int = 10_000) -> list[int]:
    """Ids made-up rows may refer to: the first `limit` rows of `repo`."""
    statement = sa.select(repo.table.c.id).order_by(repo.table.c.id).limit(limit)
    return list(conn.execute(statement).scalars())


@click.command("seed")
@click.option("--reset", is_flag=True, help="Delete every row first, then load the files.")
@click.option("--fake", "rows", type=click.IntRange(min=1), help="Add this many made-up rows instead.")
@click.option("--entity", "entities", multiple=True, help="With --fake: only this entity (repeatable).")
@with_appcontext
def seed_command(reset: bool, rows: int | None, entities: tuple[str, ...]) -> None:
    """Load the demo data in seed/ (all-or-nothing; running it twice adds nothing)."""
    if rows is None and entities:
        raise click.UsageError("--entity works only with --fake.")
    if rows is not None and reset:
        raise click.UsageError(
            "--reset works only without --fake: made-up rows are added to what is stored; "
            "run `flask seed --reset` first to start again from seed/."
        )
    if rows is None:
        click.echo(load(current_app, reset=reset))
        return
    kit_store = store()
    declared = [e.name for e in kit_store.schema.declared]
    unknown = [name for name in entities if name not in declared]
    if unknown:
        raise SeedError(f"There is no entity '{unknown[0]}'; entities are: {', '.join(declared)}.")
    click.echo(load_fake(kit_store, list(entities) or declared, rows))


def seed_on_start(app: Flask) -> None:
    """On the first start, an empty database gets the demo data."""
    if not app.config["SEED_ON_START"]:
        return
    with app.app_context():
        kit_store = store()
        if any(repo.count() for repo in kit_store if not repo.name.startswith("kit_")):
            return
        try:
            summary = load(app, only_if_empty=True)
        except SeedError as error:
            click.secho(f"Demo data not loaded: {error.message}", fg="red", err=True)
            return
        if summary:
            click.echo(summary, err=True)


def init_app(app: Flask) -> None:
    """`flask seed`, and the demo data on an empty database."""
    app.cli.add_command(seed_command)
    seed_on_start(app)
