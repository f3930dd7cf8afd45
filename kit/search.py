"""Finding rows by words: a full-text index on SQLite, a LIKE scan elsewhere.

On SQLite each entity with searchable fields gets an FTS5 table with the
trigram tokenizer (substring matching, case-insensitive, Unicode aware),
kept in step with the entity's table by triggers, so every writer - the
model layer, a bulk load, a second worker - keeps it right.  A word shorter
than three letters has no trigram; it is looked up with LIKE.  Without FTS5
(PostgreSQL, old SQLite) every word is looked up with LIKE, with the same
results.  On PostgreSQL each searched field gets a pg_trgm GIN index where the
extension can be had, so that scan reads an index instead.  Statements are built
from declared names only; the words are bound.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from kit.schema import relation_name

TRIGRAM = 3


def indexable(word: str) -> bool:
    """Long enough for the trigram index, and free of NUL, which ends an FTS5 query early."""
    return len(word) >= TRIGRAM and "\x00" not in word


def contains(
    column: sa.ColumnElement[str], text: str, sqlite: bool, start: bool = False
) -> sa.ColumnElement[bool]:
    """`column` holds `text` (or starts with it), whatever the case, in all of Unicode.

    SQLite's LIKE and lower() fold ASCII letters only (`ö` didn't find `Ö`); there a
    non-ASCII word is compared with the column through `kit_lower` (registered on each
    connection by the store), which folds as the full-text index does.  PostgreSQL's ILIKE
    folds them all.
    """
    if not sqlite:
        # ILIKE keeps ς and σ apart: a word's last sigma may be written either way
        folded = fold(text)
        spellings = [folded, folded[:-1] + "ς"] if folded.endswith("σ") else [folded]
        return sa.or_(*(ilike(column, spelling, start) for spelling in spellings))
    if text.isascii():
        return ilike(column, text, start)
    pattern = fold(text).replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
    return sa.func.kit_lower(column).like(pattern if start else "%" + pattern, escape="/")


def ilike(column: sa.ColumnElement[str], text: str, start: bool) -> sa.ColumnElement[bool]:
    return column.istartswith(text, autoescape=True) if start else column.icontains(text, autoescape=True)


def fold(text: str) -> str:
    """Text in lower case as FTS5's trigram index folds it: σ for every sigma.

    str.lower writes a word's last Σ as ς ('ΦΑΣ' -> 'φας', which 'ΦΑΣΟΛΙΑ' doesn't hold).
    """
    return text.lower().replace("ς", "σ")


def lower_text(value: object) -> object:
    """SQL kit_lower(): `fold` for text, anything else as it is."""
    return fold(value) if isinstance(value, str) else value


def match_all(words: list[str]) -> str:
    """An FTS5 query matching rows that contain every word, each quoted as a phrase."""
    return " AND ".join('"' + word.replace('"', '""') + '"' for word in words)


class Search:
    """The search of one entity over its `search=` fields."""

    def __init__(self, table: sa.Table, fields: tuple[str, ...], sqlite: bool) -> None:
        self.table = table
        self.fields = fields
        self.sqlite = sqlite
        self.index = f"kit_search_{table.name}"
        self.rowid = sa.table(self.index, sa.column("rowid")).c.rowid  # the id of the row an entry indexes
        self.indexed = False  # set by sync() once the FTS table is known to exist

    def clauses(self, text: str) -> list[sa.ColumnElement[bool]]:
        """One clause per word: each word must appear in one of the searched fields."""
        words = text.split()
        if not self.fields or not words:
            return []
        long_words = self.indexed_words(words)
        clauses = [self.like(w) for w in words if w not in long_words]
        if long_words:
            clauses.append(self.table.c.id.in_(sa.select(self.rowid).where(self.matching(long_words))))
        return clauses

    def scan(self, text: str) -> list[sa.ColumnElement[bool]]:
        """The rows `clauses` finds, looked for in each row as it is read rather than in the index."""
        return [self.like(word) for word in text.split()] if self.fields else []

    def narrows(self, text: str) -> bool:
        """Whether the index narrows `text` (some word of it is long enough for trigrams)."""
        return bool(self.fields and self.indexed_words(text.split()))

    def covers(self, text: str) -> bool:
        """Whether the index alone answers `text` (every word of it long enough for trigrams)."""
        words = text.split()
        return bool(self.fields and words) and self.indexed_words(words) == words

    def indexed_words(self, words: list[str]) -> list[str]:
        return [w for w in words if indexable(w)] if self.indexed else []

    def entries(self, text: str, desc: bool = False) -> sa.Select[tuple[int]]:
        """Ids of the rows holding every word long enough for the index, in id order, off the index.

        The index hands out ids in order, so a page or a capped count reads only
        as many entries as it needs, however many rows match.
        """
        long_words = self.indexed_words(text.split())
        order = self.rowid.desc() if desc else self.rowid.asc()
        return sa.select(self.rowid.label("id")).where(self.matching(long_words)).order_by(order)

    def matches(self, text: str, desc: bool, within: int | None = None) -> sa.Select[tuple[int]]:
        """Ids of the rows matching every word: `entries`, each looked in for the words too short for it.

        `within` reads only that many entries, in no particular order (for a count).
        """
        entries = self.entries(text, desc)
        short = [self.like(w) for w in text.split() if not indexable(w)]
        if not short:
            return entries
        if within is None:
            on = self.table.c.id == self.rowid
            return entries.join_from(self.rowid.table, self.table, on).where(*short)
        first = entries.limit(within).subquery()
        return sa.select(first.c.id).join_from(first, self.table, self.table.c.id == first.c.id).where(*short)

    def matching(self, words: list[str]) -> sa.ColumnElement[bool]:
        """The index's entries holding every word (each long enough for trigrams)."""
        return sa.literal_column(self.quoted(self.index)).op("MATCH")(match_all(words))

    def like(self, word: str) -> sa.ColumnElement[bool]:
        return sa.or_(*(contains(self.table.c[name], word, self.sqlite) for name in self.fields))

    # -- the index -----------------------------------------------------------

    def sync(self, conn: sa.Connection) -> None:
        """Make (or remake, if the searched fields changed) the index; start-up only."""
        if conn.dialect.name == "postgresql" and self.fields:
            self.sync_trigram_indexes(conn)
        if conn.dialect.name != "sqlite" or not self.fields:
            self.indexed = False
            return
        present = [row[1] for row in conn.exec_driver_sql(f"PRAGMA table_info({self.quoted(self.index)})")]
        if present == list(self.fields):
            self.indexed = True
            return
        self.drop(conn)
        columns = ", ".join(self.quoted(name) for name in self.fields)
        try:
            conn.exec_driver_sql(
                f"CREATE VIRTUAL TABLE {self.quoted(self.index)} USING fts5({columns}, "
                f"content={self.quoted(self.table.name)}, content_rowid='id', tokenize='trigram')"
            )
        except sa.exc.OperationalError:
            return  # no FTS5 or no trigram tokenizer in this SQLite: LIKE it is
        conn.exec_driver_sql(
            f"INSERT INTO {self.quoted(self.index)}({self.quoted(self.index)}) VALUES ('rebuild')"
        )
        self.create_triggers(conn)
        self.indexed = True

    def sync_trigram_indexes(self, conn: sa.Connection) -> None:
        """PostgreSQL: a trigram GIN index per searched field, which ILIKE '%word%' can read.

        pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may add
        it.  Where it can't be had, searches scan the table, with the same results.
        """
        found = "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        schema = conn.exec_driver_sql(found + "WHERE e.extname = 'pg_trgm'").scalar()
        if schema is None:
            try:
                with conn.begin_nested():
                    conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
            except sa.exc.DBAPIError:
                return
            schema = "public"
        table = self.quoted(self.table.name)
        for name in self.fields:
            index = self.quoted(relation_name("kit_trgm", self.table.name, name))
            conn.exec_driver_sql(
                f"CREATE INDEX IF NOT EXISTS {index} ON {table} "
                f"USING gin ({self.quoted(name)} {self.quoted(schema)}.gin_trgm_ops)"
            )

    def relation_names(self) -> list[str]:
        """The tables (FTS5's own among them) and indexes this search makes, on either database."""
        if not self.fields:
            return []
        shadows = [f"{self.index}_{part}" for part in ("data", "idx", "config", "docsize", "content")]
        return [
            self.index,
            *shadows,
            *(relation_name("kit_trgm", self.table.name, name) for name in self.fields),
        ]

    def drop(self, conn: sa.Connection) -> None:
        self.drop_triggers(conn)
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {self.quoted(self.index)}")

    @contextmanager
    def suspended(self, conn: sa.Connection) -> Iterator[None]:
        """For a bulk load: no per-row trigger; new rows are indexed in one statement at the end."""
        if not self.indexed:
            yield
            return
        last = conn.execute(sa.select(sa.func.max(self.table.c.id))).scalar() or 0
        self.drop_triggers(conn)
        yield
        columns = ", ".join(self.quoted(name) for name in self.fields)
        conn.exec_driver_sql(
            f"INSERT INTO {self.quoted(self.index)}(rowid, {columns}) "
            f"SELECT id, {columns} FROM {self.quoted(self.table.name)} WHERE id > ?",
            (last,),
        )
        self.create_triggers(conn)

    def create_triggers(self, conn: sa.Connection) -> None:
        index, table = self.quoted(self.index), self.quoted(self.table.name)
        columns = ", ".join(self.quoted(name) for name in self.fields)
        new = ", ".join(f"new.{self.quoted(name)}" for name in self.fields)
        old = ", ".join(f"old.{self.quoted(name)}" for name in self.fields)
        insert = f"INSERT INTO {index}(rowid, {columns}) VALUES (new.id, {new});"
        delete = f"INSERT INTO {index}({index}, rowid, {columns}) VALUES ('delete', old.id, {old});"
        for event, body in (("INSERT", insert), ("DELETE", delete), ("UPDATE", delete + " " + insert)):
            name = self.quoted(f"{self.index}_{event.lower()}")
            conn.exec_driver_sql(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {body} END")

    def drop_triggers(self, conn: sa.Connection) -> None:
        for event in ("insert", "delete", "update"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {self.quoted(f'{self.index}_{event}')}")

    @staticmethod
    def quoted(name: str) -> str:
        """A declared name (letters, digits, underscores: checked in schema.py) as an SQL identifier."""
        return '"' + name.replace('"', '""') + '"'
