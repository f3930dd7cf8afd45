"""The model layer: the only code that reads or writes rows.

`Store` owns the dataset connection and makes the declared schema at start-up;
`Repository` is one entity's rows.  Every statement is built with SQLAlchemy
from declared names only and binds every value, so no user string is ever
part of the SQL text.

Several processes and threads may write at once, on SQLite or PostgreSQL:
a write transaction on SQLite takes the write lock when it begins (BEGIN
IMMEDIATE), so what it checks is still true when it writes; on PostgreSQL it
locks the rows it checks.  Every row carries a `version`, raised by each
update, so an edit made from a stale copy is refused instead of silently
overwriting someone else's (optimistic concurrency).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
import logging
import operator
import os
import sqlite3
import sys
import threading
import types
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.sql import operators
from sqlalchemy.sql.operators import custom_op

from kit.errors import Changed, Conflict, InUse, NotFound, StartupError, ValidationError
from kit.fields import Boolean, DateTime, Field, FieldError, Integer, Reference, Value, as_json, row_id
from kit.schema import VERSION, DeclarationError, Entity, Schema, relation_name
from kit.search import Search, contains, lower_text
from kit.users import LOGIN_FAILURE, TOKEN, USER

log = logging.getLogger(__name__)
Row = dict[str, Value]
"""One row as cleaned Python values, keyed by field name, with `id`, `created_at`, `updated_at`, `version`."""

MAX_PAGE_SIZE = 500
MAX_FILTERS = 30
MAX_SEARCH_WORDS = 20
"""Each filter and word is a condition of the query: past a few hundred SQLite refuses the statement."""
COUNT_LIMIT = 10_000
"""A narrowed list counts its rows up to here and then says "more than" (counting all is slow)."""
FEW = 5
"""A narrowed list with fewer than FEW times the rows its page reaches is sorted, not walked in order."""
WALK_LIMIT = 20_000
"""The most rows a sorted search reads along its sort index, looking for its words in each."""
SEARCH_SCAN_LIMIT = 50_000
"""The most index entries a search count looks in for words too short for the index."""
INDEXED_BYTES = 2_400
"""The longest text a sorted or unique field holds: PostgreSQL's indexes take ~2,700 bytes a row."""
BULK_ROWS = 10_000
"""Loads of at least this many rows rebuild indexes once at the end instead of row by row."""
CASELESS = frozenset({"text", "longtext", "email", "url", "choice"})
"""Kinds whose lists sort without regard to case ("apple" before "Zebra"): on SQLite by COLLATE
NOCASE, which folds ASCII letters; on PostgreSQL by lower(), in its database's collation."""
BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite writer waits for another's transaction to end before giving up (a 503)."""
START_UP_LOCK = 0x6B6974  # "kit": the PostgreSQL advisory lock that serialises start-up and seeding
DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}
"""The databases the kit runs on, each with the driver it installs (requirements.txt)."""

COMPARISONS = {
    "eq": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


@dataclass(frozen=True)
class Filter:
    """`field op value`, e.g. Filter("price", "gte", "10"); ops are those the field's kind allows."""

    field: str
    op: str
    value: Value


@dataclass(frozen=True)
class After:
    """A place in a list: after the row with this sort value and id, in the order (sort, desc).

    `value` is a cleaned value as a Row holds it.  A page read from here
    (keyset pagination) starts on an index entry instead of counting rows
    off, and rows added or removed before it don't shift it.
    """

    sort: str
    desc: bool
    value: Value
    id: int

    @classmethod
    def row(cls, sort: str, desc: bool, row: Row) -> After:
        """The place right after `row`, in the order (sort, desc)."""
        return cls(sort, desc, row[sort], row["id"])


@dataclass(frozen=True)
class Change:
    """One line of a row's history: who made, changed or deleted it, and when."""

    entity: str
    row: int
    action: str  # "created", "changed" or "deleted"
    fields: tuple[str, ...]  # the fields a change set
    by: str  # an email, "... (API token)", "a visitor" or "a command"
    at: dt.datetime
    values: Mapping[str, tuple[Any, Any]] = dataclasses.field(default_factory=dict)
    """A change's fields with their values before and after, as JSON has them; see Repository.record."""
    label: str | None = None
    """A deleted row's label as it was, to name it by once it is gone."""


@dataclass
class Page:
    """One page of a list, with the total number of matching rows."""

    rows: list[Row]
    total: int
    page: int | None  # None for a page read after a place (Query.after), which has no number
    per_page: int
    estimated: bool = False  # total is a lower bound: more than COUNT_LIMIT rows match
    after: After | None = None  # where the next page starts; None on the last page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass
class Query:
    """What a list asks for; every name in it is checked against the declaration."""

    filters: Sequence[Filter] = ()
    search: str = ""
    sort: str | None = None
    desc: bool = False
    page: int = 0
    per_page: int = 20
    after: After | None = None  # read the rows after this place instead of page `page`

    @property
    def narrowed(self) -> bool:
        """Whether filters or a search narrow the list (else it is the whole table)."""
        return bool(self.filters or self.search.strip())


ID_TYPE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def without_nul(value: Value) -> Value:
    """Text without the NUL character, which PostgreSQL can't store: the same rows on either database."""
    return value.replace("\x00", "") if isinstance(value, str) else value


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class Later:
    """A name of a module that is imported when the name is first used."""

    __slots__ = ("_module", "_name")

    def __init__(self, module: str, name: str) -> None:
        self._module, self._name = module, name

    def _target(self) -> Any:
        return getattr(importlib.import_module(self._module), self._name)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._target(), attribute)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._target()(*args, **kwargs)


def import_dataset() -> types.ModuleType:
    """dataset, with the classes it imports at the top for guessing columns loaded only if it uses them.

    dataset migrates through alembic, and types a dict as PostgreSQL's JSONB, when a write carries
    a column a table lacks; the kit makes its tables itself (`ensure_schema=False`), so alembic,
    Mako and Pygments would cost every start ~80 ms and every worker ~8 MiB for nothing, and the
    PostgreSQL dialect another ~40 ms on SQLite (bench/start_up.py).  The stand-ins leave
    sys.modules once dataset holds them: an `import alembic` anywhere else gets the real one.
    """
    stand_ins = {}
    for module, name in (
        ("alembic.migration", "MigrationContext"),
        ("alembic.operations", "Operations"),
        ("sqlalchemy.dialects.postgresql", "JSONB"),
    ):
        if module not in sys.modules:
            stand_ins[module] = types.ModuleType(module)
            setattr(stand_ins[module], name, Later(module, name))
    sys.modules.update(stand_ins)
    try:
        import dataset
    finally:
        for module, stand_in in stand_ins.items():
            if sys.modules.get(module) is stand_in:
                del sys.modules[module]
    return dataset


dataset = import_dataset()


class Database(dataset.Database):
    """dataset's database, taking a connection from the pool without holding its lock.

    dataset waits for the pool inside a lock every thread needs, so one thread
    waiting for a free connection stalled those that held one (and the write
    lock of SQLite) until a timeout ended it.
    """

    @property
    def executable(self) -> sa.Connection:
        tid = threading.get_ident()
        conn = self.connections.get(tid)
        if conn is None:
            if self.engine is None:
                raise RuntimeError("Database is closed")
            conn = self.engine.connect()  # may wait for a free connection: no lock held
            with self.lock:
                self.connections[tid] = conn
        return conn


def kind_of(column_type: Any) -> str:
    """What a column holds, broadly, as the database reports it: text, integer, boolean, date, ..."""
    for kind, types_ in (
        ("boolean", sa.Boolean),
        ("date and time", sa.DateTime),
        ("date", sa.Date),
        ("integer", sa.Integer),
        ("text", sa.String),
    ):
        if isinstance(column_type, types_):
            return kind
    return "other"


def unindexed(order: sa.UnaryExpression[Any]) -> sa.UnaryExpression[Any]:
    """The same order, written so that SQLite won't read it off an index (`+ column`, its documented way).

    Walking a sort index row by row to find a few scattered matches reads the
    table in random order; reading it in storage order and sorting the matches
    is several times faster at a million rows.
    """
    column, collation = order.element, None
    if isinstance(column, sa.BinaryExpression) and column.operator is operators.collate:
        column, collation = column.left, column.right.collation  # `+name COLLATE NOCASE`
    if column.name == "id":
        return order  # the table's own order: reading it is the scan
    plain: Any = sa.UnaryExpression(column, operator=custom_op("+"))
    if collation is not None:
        plain = plain.collate(collation)
    return plain.desc() if order.modifier is operators.desc_op else plain.asc()


def alike(found: Any, wanted: Any) -> bool:
    """Whether a column found in the database holds the kind of value a field now stores."""
    return "other" in (kind_of(found), kind_of(wanted)) or kind_of(found) == kind_of(wanted)


def shorter(found: Any, wanted: Any) -> bool:
    """Whether a column type found in the database holds shorter text than the one wanted."""
    found_length, wanted_length = getattr(found, "length", None), getattr(wanted, "length", None)
    return bool(found_length and wanted_length and found_length < wanted_length)


def register_functions(connection: sqlite3.Connection, record: Any) -> None:
    """SQL functions the kit's queries use on SQLite, on each new connection."""
    connection.create_function("kit_lower", 1, lower_text, deterministic=True)


def database_url(url: str) -> sa.URL:
    """DATABASE_URL read and checked, with the installed driver named; StartupError if unusable."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise StartupError(
            f"DATABASE_URL '{url}' is not a database URL; "
            "use sqlite:///instance/app.db or postgresql://user:password@host/name."
        ) from None
    backend = parsed.get_backend_name()
    if backend == "postgres":
        raise StartupError(
            "DATABASE_URL starts with postgres://, which SQLAlchemy no longer reads; "
            "write postgresql:// instead and keep the rest."
        )
    if backend not in DRIVERS:
        raise StartupError(
            f"DATABASE_URL names '{backend}', but the kit runs on SQLite (sqlite:///...) "
            "or PostgreSQL (postgresql://...)."
        )
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise StartupError(
            f"DATABASE_URL '{url}' is a database in memory, which each connection sees empty "
            "and which is gone at exit; name a file: sqlite:///instance/app.db."
        )
    return parsed.set(drivername=DRIVERS[backend]) if parsed.drivername == backend else parsed


class Store:
    """Every entity's rows in one database, reached through dataset."""

    def __init__(self, url: str, schema: Schema, pool: int = 10) -> None:
        self.schema = schema
        parsed = database_url(url)
        self.url = parsed
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        engine_kwargs: dict[str, Any] = {"pool_size": pool, "max_overflow": 0, "pool_timeout": 30}
        if not self.is_sqlite:
            engine_kwargs["pool_pre_ping"] = True  # a restarted server's dead connections are replaced
        self.db = Database(
            parsed.render_as_string(hide_password=False),
            ensure_schema=False,
            engine_kwargs=engine_kwargs,
            on_connect_statements=[f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}", "PRAGMA foreign_keys = ON"]
            if self.is_sqlite
            else [],
        )
        if self.is_sqlite:
            sa.event.listen(self.db.engine, "connect", register_functions)
        else:  # the real JSONB for dataset's column guesses, not the stand-in import_dataset gave it
            from sqlalchemy.dialects.postgresql import JSONB

            self.db.types.json = JSONB
        STORES.add(self)
        self.metadata = sa.MetaData()
        self.counts = sa.Table(
            "kit_count",
            self.metadata,
            sa.Column("entity", sa.Unicode(63), primary_key=True),
            sa.Column("rows", sa.BigInteger, nullable=False),
        )
        self.kinds = sa.Table(  # each field's kind as last declared: see sync_kinds
            "kit_field",
            self.metadata,
            sa.Column("entity", sa.Unicode(63), primary_key=True),
            sa.Column("field", sa.Unicode(63), primary_key=True),
            sa.Column("kind", sa.Unicode(20), nullable=False),
            sa.Column("declared", sa.Boolean),  # false once models.py leaves it out; null: made before
        )
        self.changes = sa.Table(  # who made, changed or deleted which row when: see Repository.record
            "kit_change",
            self.metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("entity", sa.Unicode(63), nullable=False),
            sa.Column("row", sa.BigInteger, nullable=False),
            sa.Column("action", sa.Unicode(10), nullable=False),
            sa.Column("fields", sa.UnicodeText, nullable=False),  # the changed fields' names, comma-separated
            sa.Column("by", sa.UnicodeText, nullable=False),
            sa.Column("at", sa.DateTime, nullable=False),
            sa.Column("values_json", sa.UnicodeText),  # {field: [before, after]}: Change.values
            sa.Column("label", sa.UnicodeText),  # a deleted row's label
            sa.Index("ix_kit_change_row", "entity", "row", "id"),
            sqlite_autoincrement=True,
        )
        self.actor: Callable[[], str] = lambda: ""
        """Who is making changes now, for their history: set by kit/auth.py per request."""
        self.repositories = {entity.name: Repository(self, entity) for entity in schema}
        self.check_names()

    def check_names(self) -> None:
        """No two entities make a table or index of one name (`a`.`b_c` and `a_b`.`c` would: ix_a_b_c)."""
        owners: dict[str, str] = {}
        for repo in self:
            for name in sorted(repo.relation_names()):
                owner = owners.setdefault(name, repo.name)
                if owner != repo.name:
                    raise DeclarationError(
                        f"Entities '{owner}' and '{repo.name}' would both make a table or index "
                        f"named '{name}'; rename one of them."
                    )

    def __getitem__(self, name: str) -> Repository:
        try:
            return self.repositories[name]
        except KeyError:
            raise NotFound(f"There is no entity '{name}'.") from None

    def __iter__(self) -> Iterator[Repository]:
        return iter(self.repositories.values())

    @property
    def connection(self) -> sa.Connection:
        return self.db.executable

    @contextmanager
    def transaction(self, lock: int | None = None) -> Iterator[sa.Connection]:
        """All writes inside commit together or not at all.

        On SQLite the write lock is taken as the transaction begins, so reads
        inside it see what it will write over and a second writer waits its
        turn instead of failing half-way.  `lock`, a PostgreSQL advisory lock
        key, serialises this transaction there with every other holding the
        same key (START_UP_LOCK: start-up and seeding); SQLite's write lock
        already does.
        """
        with self.db:
            conn = self.db.executable
            if self.is_sqlite:
                raw = conn.connection.dbapi_connection
                if raw is not None and not raw.in_transaction:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
            elif lock is not None:
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(lock)))
            yield conn

    def recent_changes(self, entities: Iterable[str], limit: int = 10) -> list[Change]:
        """The latest changes to rows of these entities, newest first."""
        return self.read_changes(self.changes.c.entity.in_(list(entities)), limit)

    def read_changes(self, where: sa.ColumnElement[bool], limit: int) -> list[Change]:
        """The latest `limit` lines of history that match `where`, newest first."""
        changes = self.changes
        statement = sa.select(changes).where(where).order_by(changes.c.id.desc()).limit(limit)
        return [
            Change(
                c.entity,
                c.row,
                c.action,
                tuple(filter(None, c.fields.split(","))),
                c.by,
                c.at,
                {name: tuple(pair) for name, pair in json.loads(c.values_json or "{}").items()},
                c.label,
            )
            for c in self.connection.execute(statement)
        ]

    def release(self) -> None:
        """Give this thread's connection back to the pool (dataset keeps one per thread)."""
        if not self.db.in_transaction:
            # dataset has no public call for this; commit() uses the same one.
            self.db._release_connection()

    def close(self) -> None:
        self.db.close()
        STORES.discard(self)

    def forget_connections(self) -> None:
        """In a forked child: drop the parent's connections unused, never share them."""
        self.db.connections = {}
        self.db.local = threading.local()
        if self.db.engine is not None:
            self.db.engine.dispose(close=False)

    def sync(self) -> None:
        """Make every declared table, column and index; never drops anything.

        One transaction under the start-up lock, looking at the database only
        once it holds the lock: workers starting together take turns, and
        each later one finds the work done.
        """
        with self.transaction(lock=START_UP_LOCK) as conn:
            inspector = sa.inspect(conn)
            existing = set(inspector.get_table_names())
            self.counts.create(conn, checkfirst=True)
            self.kinds.create(conn, checkfirst=True)
            self.changes.create(conn, checkfirst=True)
            for table in (self.counts, self.kinds, self.changes):
                present = {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
                for column in table.columns:
                    if column.name not in present:  # a database made before the column was
                        add_column(conn, column)
            for repo in self:
                repo.sync(conn, inspector if repo.entity.name in existing else None)
            self.sync_kinds(conn)

    def sync_kinds(self, conn: sa.Connection) -> None:
        """Record each field's kind; refuse a field turned to or from money over values stored before.

        Money is stored as whole cents, so an integer column's 12 would read as 0.12 and a money
        column's 12.00 as 1200: the column alone can't tell, the kind it was declared with can.
        """
        rows = list(conn.execute(sa.select(self.kinds)))
        recorded = {(row.entity, row.field): row.kind for row in rows}
        left_out = {(row.entity, row.field) for row in rows if row.declared is False}
        self.say_what_was_left_out(conn, rows)
        first_seen = []
        for repo in self:
            for f in repo.entity.fields.values():
                was = recorded.get((repo.name, f.name))
                if was == f.kind and (repo.name, f.name) not in left_out:
                    continue
                column = repo.table.c[f.name]
                if (
                    was is not None
                    and "money" in (was, f.kind)
                    and conn.execute(sa.select(column).where(column.is_not(None)).limit(1)).first()
                ):
                    raise DeclarationError(
                        f"Entity '{repo.name}', field '{f.name}': its column holds {was} values, "
                        f"not {f.kind}; give the field a new name (the old column keeps its data)."
                    )
                if was is None:
                    seen = {"entity": repo.name, "field": f.name, "kind": f.kind, "declared": True}
                    first_seen.append(seen)
                else:
                    where = (self.kinds.c.entity == repo.name) & (self.kinds.c.field == f.name)
                    conn.execute(self.kinds.update().where(where).values(kind=f.kind, declared=True))
        if first_seen:  # every field of a new database: one statement
            conn.execute(self.kinds.insert(), first_seen)

    def say_what_was_left_out(self, conn: sa.Connection, recorded: list[sa.Row[Any]]) -> None:
        """Once, at the first start without them: the entities and fields models.py no longer declares.

        Their tables and columns keep their data (nothing is dropped), which a renamed field or
        entity would otherwise hide without a word.
        """
        gone: dict[str, list[str]] = {}
        for row in recorded:
            declared = row.entity in self.repositories and row.field in self.repositories[row.entity].fields
            if row.declared is not False and not declared:
                gone.setdefault(row.entity, []).append(row.field)
        for entity, fields in gone.items():
            if entity not in self.repositories:
                log.warning(
                    f"Entity '{entity}' is no longer in models.py: its table and rows are kept, "
                    "and come back if it is declared again."
                )
            else:
                listed = ", ".join(f"'{name}'" for name in fields)
                which = f"fields {listed} are" if len(fields) > 1 else f"field {listed} is"
                log.warning(
                    f"Entity '{entity}', {which} no longer in models.py: the data is kept in its table, "
                    "and comes back if declared again."
                )
            where = (self.kinds.c.entity == entity) & self.kinds.c.field.in_(fields)
            conn.execute(self.kinds.update().where(where).values(declared=False))


def add_column(conn: sa.Connection, column: sa.Column[Any]) -> None:
    """Add the column to its table as the database spells it (dataset and alembic aside)."""
    table = conn.dialect.identifier_preparer.format_table(column.table)
    spec = sa.schema.CreateColumn(column).compile(dialect=conn.dialect)
    conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {spec}")


STORES: weakref.WeakSet[Store] = weakref.WeakSet()
"""Every open store of this process, for the fork hook below."""


def _after_fork_in_child() -> None:
    for kit_store in list(STORES):
        kit_store.forget_connections()


# gunicorn --preload forks workers from a process that has connected: a child must
# never talk over its parent's socket or file handle (SQLAlchemy "Using Connection Pools
# with Multiprocessing": https://docs.sqlalchemy.org/en/20/core/pooling.html).
os.register_at_fork(after_in_child=_after_fork_in_child)


class Repository:
    """One entity's rows: list, get, create, update, delete, bulk load."""

    def __init__(self, store: Store, entity: Entity) -> None:
        self.store = store
        self.entity = entity
        self.name = entity.name
        managed: dict[str, Field] = {
            "id": Integer("id", label="ID"),
            "created_at": DateTime("created_at", label="Created"),
            "updated_at": DateTime("updated_at", label="Updated"),
            VERSION: Integer(VERSION, label="Version", hidden=True),
        }
        self.fields: dict[str, Field] = {**entity.fields, **managed}
        self.table = sa.Table(
            entity.name,
            store.metadata,
            # 64-bit ids everywhere; on SQLite only INTEGER PRIMARY KEY is the fast rowid
            sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
            *(sa.Column(f.name, f.sql_type()) for f in entity.fields.values()),
            sa.Column("created_at", sa.DateTime),
            sa.Column("updated_at", sa.DateTime),
            sa.Column(VERSION, sa.Integer, nullable=False, server_default=sa.text("1")),
            sqlite_autoincrement=True,  # an id is never given again after its row is deleted
        )
        self.search = Search(self.table, entity.search, store.is_sqlite)
        self.indexed = {field for _, field, _ in self.index_plan()}

    def __repr__(self) -> str:
        return f"Repository({self.name!r})"

    # -- schema --------------------------------------------------------------

    def sync(self, conn: sa.Connection, inspector: sa.Inspector | None) -> None:
        """Create the table, add missing columns and indexes, follow changed declarations."""
        if inspector is None:
            self.table.create(conn)  # with the indexes an earlier sync of this process attached to it
            inspector = sa.inspect(conn)
        else:
            self.sync_columns(conn, {c["name"]: c["type"] for c in inspector.get_columns(self.name)})
        indexes = {i["name"]: i for i in inspector.get_indexes(self.name)}
        self.sync_indexes(conn, indexes)
        self.search.sync(conn)
        counts = self.store.counts
        if conn.execute(sa.select(counts.c.rows).where(counts.c.entity == self.name)).first() is None:
            rows = conn.execute(sa.select(sa.func.count()).select_from(self.table)).scalar_one()
            conn.execute(counts.insert().values(entity=self.name, rows=rows))

    def sync_columns(self, conn: sa.Connection, present: dict[str, Any]) -> None:
        """Add the columns of new fields; on PostgreSQL widen those made for shorter text (a new choice)."""
        quote = conn.dialect.identifier_preparer.quote
        for column in self.table.columns:
            found = present.get(column.name)
            if found is not None and column.name in self.entity.fields and not alike(found, column.type):
                f = self.fields[column.name]
                raise DeclarationError(
                    f"Entity '{self.name}', field '{f.name}': its column was made for {kind_of(found)} "
                    f"values, not {f.kind}; give the field a new name (the old column keeps its data)."
                )
            if found is None:
                add_column(conn, column)
                self.fill_new_column(conn, column.name)
            elif not self.store.is_sqlite and shorter(found, column.type):
                wider = column.type.compile(conn.dialect)
                table = conn.dialect.identifier_preparer.format_table(self.table)
                conn.exec_driver_sql(f"ALTER TABLE {table} ALTER COLUMN {quote(column.name)} TYPE {wider}")

    def fill_new_column(self, conn: sa.Connection, name: str) -> None:
        """Give the rows stored before a field was declared its default, or say they have none."""
        f = self.fields[name]
        if name not in self.entity.fields or not conn.execute(sa.select(self.table.c.id).limit(1)).first():
            return
        if f.default is not None and not callable(f.default):
            conn.execute(self.table.update().values({name: f.to_db(f.initial())}))
        elif f.required:
            log.warning(
                f"Entity '{self.name}', field '{name}' is new and required: the rows stored before it "
                "have no value, and each needs one the next time it is saved."
            )

    def sync_indexes(self, conn: sa.Connection, indexes: dict[str, Any]) -> None:
        """Make missing indexes, remake those ordered the old way, drop those of fields no longer unique."""
        for f in self.fields.values():
            former = relation_name("ux", self.name, f.name)
            if not f.unique and former in indexes:  # it would go on refusing saves
                conn.exec_driver_sql(f"DROP INDEX {conn.dialect.identifier_preparer.quote(former)}")
        for index in self.indexes(conn.dialect.name):
            if index.name in indexes and not self.sorted_alike(conn, index, indexes[index.name]):
                index.drop(conn)  # made before lists ordered NULL first on PostgreSQL, or text caseless
                del indexes[index.name]
            if index.name not in indexes:
                if index.unique:
                    self.refuse_shared_values(conn, index)
                try:
                    index.create(conn)
                except sa.exc.IntegrityError:
                    column = next(iter(index.columns)).name
                    raise DeclarationError(
                        f"Entity '{self.name}', field '{column}': can't be unique, "
                        "existing rows share a value."
                    ) from None

    def refuse_shared_values(self, conn: sa.Connection, index: sa.Index) -> None:
        """Before a unique index is made over stored rows: name a value rows share, and how many do."""
        key = next(iter(index.expressions))
        while isinstance(key, sa.UnaryExpression):  # NULLS FIRST: an index's order, not a value
            key = key.element
        shared = conn.execute(
            sa.select(key, sa.func.count())
            .where(key.is_not(None))
            .group_by(key)
            .having(sa.func.count() > 1)
            .limit(1)
        ).first()
        if shared is not None:
            name = next(iter(index.columns)).name
            value = (
                self.fields[name].format(self.fields[name].from_db(shared[0]))
                if name in self.fields
                else shared[0]
            )
            raise DeclarationError(
                f"Entity '{self.name}', field '{name}': can't be unique, {shared[1]} rows share the value "
                f"'{value}'; make them differ or leave out unique=True."
            )

    @staticmethod
    def sorted_alike(conn: sa.Connection, index: sa.Index, found: Any) -> bool:
        """Whether an index found in the database orders its first key as `index` does.

        On SQLite by the collation (NOCASE for caseless text); on PostgreSQL by
        lower() or the plain column, and NULLS FIRST or not.
        """
        first = next(iter(index.expressions))
        if conn.dialect.name == "sqlite":  # the collation, which SQLAlchemy doesn't reflect
            wanted_collation = first.right.collation if isinstance(first, sa.BinaryExpression) else "BINARY"
            quoted = conn.dialect.identifier_preparer.quote(index.name)
            columns = conn.exec_driver_sql(f"PRAGMA index_xinfo({quoted})").fetchall()
            return bool(columns) and columns[0][4].upper() == wanted_collation.upper()
        wanted = ("nulls_first",) if isinstance(first, sa.UnaryExpression) else ()
        inner = first
        while isinstance(inner, sa.UnaryExpression):
            inner = inner.element
        lowered = isinstance(inner, sa.sql.functions.FunctionElement)  # lower(name): see sort_key
        found_first = (found.get("expressions") or found["column_names"])[0]
        sorting = tuple(found.get("column_sorting", {}).get(found_first, ()))
        return sorting == wanted and (found["column_names"][0] is None) == lowered

    def indexes(self, dialect: str) -> list[sa.Index]:
        """A unique index per unique field, an (field, id) index per sortable field, one per reference,
        and one of creation times (the dashboard counts the last week's rows).

        With these every sort the list offers reads its page straight off an index.  SQLite
        also gets an index of ids alone: its rows are stored in id order, but a page in the
        middle of a million skips half of them, and the narrow index skips them four times faster.
        """
        c = self.table.c
        sqlite = dialect == "sqlite"
        wanted = [sa.Index(relation_name("ix", self.name, "id"), c.id)] if sqlite else []

        def key(name: str) -> Any:  # in the order lists read it: see _order
            return self.sort_key(name) if sqlite else self.sort_key(name).asc().nulls_first()

        for name, field, unique in self.index_plan():
            if unique:  # exact, whatever the case: "Tee" and "tee" are two values
                exact = c[field] if sqlite else c[field].asc().nulls_first()
                wanted.append(sa.Index(name, exact, unique=True))
            else:  # PostgreSQL sorts by a unique field's own index unless it sorts caselessly
                wanted.append(sa.Index(name, key(field), c.id))
        return wanted

    def index_plan(self) -> list[tuple[str, str, bool]]:
        """(name, field, unique) of the index each unique, sortable or reference field gets."""
        entity = self.entity
        plan = [
            (relation_name("ux", self.name, f.name), f.name, True) for f in entity.fields.values() if f.unique
        ]
        indexed = {*entity.sortable, *(r.name for r in entity.references), "created_at"}
        for name in sorted(indexed - {"id"}):
            f = self.fields[name]
            if not f.unique or (self.caseless(name) and name in entity.sortable):  # see indexes()
                plan.append((relation_name("ix", self.name, name), name, False))
        return plan

    def relation_names(self) -> set[str]:
        """Every table and index this entity makes, on either database."""
        indexes = [relation_name("ix", self.name, "id"), *(name for name, _, _ in self.index_plan())]
        return {self.name, *indexes, *self.search.relation_names()}

    # -- reading -------------------------------------------------------------

    def get(self, id: Any) -> Row:
        """The row with this id, or NotFound."""
        row = self._first(self.table.c.id == self._id(id))
        if row is None:
            raise NotFound(f"{self.entity.label} {id} doesn't exist.")
        return row

    def find(self, field: str, value: Value) -> Row | None:
        """The first row whose `field` equals `value` (cleaned as that field), or None."""
        f = self._field(field, "filter")
        try:
            wanted = without_nul(f.to_db(f.clean(value)))
        except FieldError:
            return None  # a value the field would refuse can't be stored in any row
        return self._first(self.table.c[field] == wanted)

    def list(self, query: Query | None = None) -> Page:
        """One page of rows matching the query's filters and search, in its order.

        The back half of a long list is read backwards from its end, so the
        last page costs what the first does (an OFFSET of a million rows doesn't).
        """
        query = self._readable(query or Query())
        per_page = max(1, min(int(query.per_page), MAX_PAGE_SIZE))
        page = max(0, int(query.page))
        sort, desc = self.ordering(query)
        order = self._order(sort, desc)  # checks the sort even when no row matches
        if query.after is not None:
            return self._page_after(query, query.after, per_page)
        if sort == "id" and self._searched_alone(query):
            return self._search_page(query.search, desc, page, per_page)
        offset = page * per_page
        where, total, estimated = self._conditions(query, offset + per_page)
        if offset >= total and not estimated:
            return Page([], total, page, per_page, estimated)
        from_end = total - offset - per_page
        backwards = not estimated and offset > 0 and from_end < offset
        limit = per_page
        if backwards:
            order = self._order(sort, not desc)
            limit, offset = min(per_page, total - offset), max(0, from_end)
        if query.narrowed and not estimated and total < FEW * (offset + limit) and self.store.is_sqlite:
            order = [unindexed(o) for o in order]  # few matches: find them all and sort them
        statement = sa.select(self.table).where(*where).order_by(*order).limit(limit)
        if offset:  # skip rows in an index alone, then read the page's (PostgreSQL read every one)
            ids = sa.select(self.table.c.id).where(*where).order_by(*order).limit(limit).offset(offset)
            statement = (
                sa.select(self.table).where(self.table.c.id.in_(ids.scalar_subquery())).order_by(*order)
            )
        rows = [self._row(r) for r in self.store.connection.execute(statement)]
        return self._numbered(rows[::-1] if backwards else rows, total, page, per_page, estimated, sort, desc)

    def ordering(self, query: Query) -> tuple[str, bool]:
        """The query's (sort, desc); a search without a sort lists the newest matches first."""
        if query.sort:
            return query.sort, query.desc
        return ("id", True) if query.search.strip() else self.entity.sort

    def _numbered(
        self, rows: list[Row], total: int, page: int, per_page: int, estimated: bool, sort: str, desc: bool
    ) -> Page:
        """A numbered page, with the place after its last row unless no page follows it."""
        more = (page + 1) * per_page < total or (estimated and len(rows) == per_page)
        after = After.row(sort, desc, rows[-1]) if more and rows else None
        return Page(rows, total, page, per_page, estimated, after)

    def _conditions(self, query: Query, reach: int) -> tuple[list[sa.ColumnElement[bool]], int, bool]:
        """The query's WHERE clauses and (total, estimated), the cheapest way its search allows.

        A search the full-text index narrows is counted there.  In another order
        than the index's, its first `reach` rows are found by reading along the
        sort field's index and looking for the words in each row, when matches
        are common enough that at most WALK_LIMIT rows are read; rarer matches
        are collected from the index and sorted.
        """
        if not self._searched_alone(query):
            where = self.where(query)
            return where, *self._total(query, where)
        total, estimated = self._search_count(query.search)
        walk = reach * self._stored_count() <= WALK_LIMIT * total
        return (self.search.scan(query.search) if walk else self.where(query)), total, estimated

    def _search_count(self, text: str) -> tuple[int, bool]:
        """(matches, estimated) of a search the full-text index narrows, counted off the index.

        Words too short for the index are looked for in the rows of its first
        SEARCH_SCAN_LIMIT entries; if more entries follow, the count is a lower bound.
        """
        total, estimated = self._capped_count(self.search.matches(text, desc=False, within=SEARCH_SCAN_LIMIT))
        if not estimated and not self.search.covers(text):
            estimated = self._capped_count(self.search.entries(text), SEARCH_SCAN_LIMIT)[1]
        return total, estimated

    def _searched_alone(self, query: Query) -> bool:
        return not query.filters and self.search.narrows(query.search)

    def _search_page(self, text: str, desc: bool, page: int, per_page: int) -> Page:
        """A page of search results read off the full-text index in id order."""
        total, estimated = self._search_count(text)
        wanted = self.search.matches(text, desc).limit(per_page).offset(page * per_page).subquery()
        order = self.table.c.id.desc() if desc else self.table.c.id.asc()
        statement = sa.select(self.table).where(self.table.c.id.in_(sa.select(wanted.c.id))).order_by(order)
        rows = [self._row(r) for r in self.store.connection.execute(statement)]
        return self._numbered(rows, total, page, per_page, estimated, "id", desc)

    def _page_after(self, query: Query, after: After, per_page: int) -> Page:
        """The rows after a place, in its order (keyset pagination): no row before it is read.

        Each run of `_keyset` starts on the (field, id) index and reads on in
        index order; a later run is asked only for what the earlier left to fill.
        """
        if (after.sort, after.desc) != self.ordering(query):
            raise ValueError(f"{after} is a place in another order than the query's.")
        where, total, estimated = self._conditions(query, per_page)
        order = self._order(after.sort, after.desc)
        rows: list[Row] = []
        for run in self._keyset(after):
            wanted = per_page + 1 - len(rows)  # one more than the page: whether another follows
            statement = sa.select(self.table).where(*where, run).order_by(*order).limit(wanted)
            rows += [self._row(r) for r in self.store.connection.execute(statement)]
            if len(rows) > per_page:
                break
        shown, following = rows[:per_page], None
        if len(rows) > per_page:
            following = After.row(after.sort, after.desc, shown[-1])
        return Page(shown, total, None, per_page, estimated, following)

    def _keyset(self, after: After) -> list[sa.ColumnElement[bool]]:
        """The conditions of the rows after a place, as runs that follow each other in its order.

        Each run is one range of the (field, id) index: the place's own value
        with a later id, then the values beyond it.  (SQLite reads a row value
        comparison, `(price, id) > (:price, :id)`, as a range of price alone and
        would wade through every row sharing the value.)  Lists order NULL below
        every value, on PostgreSQL as on SQLite (`_order`); no comparison
        matches NULL, so NULLs are a run of their own, before or after the others.
        """
        column, id = self.sort_key(after.sort), self.table.c.id
        beyond = operator.lt if after.desc else operator.gt
        later = beyond(id, after.id)
        if after.sort == "id":
            return [later]
        nulls_last = after.desc  # NULLs count below every value (_order), so descending they come last
        if after.value is None:
            nulls = sa.and_(column.is_(None), later)
            return [nulls] if nulls_last else [nulls, column.is_not(None)]
        f = self.fields[after.sort]
        value: sa.ColumnElement[Any] = sa.literal(f.to_db(after.value), column.type)
        if self.caseless(after.sort) and not self.store.is_sqlite:  # lowered by the database, as the column
            value = sa.func.lower(value, type_=column.type)
        tied = not f.unique or self.caseless(after.sort)  # a unique "Tee" still ties "tee" caselessly
        runs = [sa.and_(column == value, later)] if tied else []  # else a unique value has no later id
        runs.append(beyond(column, value))
        return [*runs, column.is_(None)] if nulls_last else runs

    def count(self, query: Query | None = None) -> int:
        """How many rows match the query's filters and search, exactly."""
        query = self._readable(query or Query())
        if not query.narrowed:
            return self._stored_count()
        statement = sa.select(sa.func.count()).select_from(self.table).where(*self.where(query))
        return int(self.store.connection.execute(statement).scalar_one())

    def tally(self, query: Query | None = None) -> tuple[int, bool]:
        """(rows, estimated): how many rows match, counted up to COUNT_LIMIT, as a list page counts them."""
        query = self._readable(query or Query())
        return self._total(query, self.where(query))

    def _total(self, query: Query, where: list[sa.ColumnElement[bool]]) -> tuple[int, bool]:
        """(rows, estimated): the whole table from the count the kit keeps, else counted up to a limit."""
        if not query.narrowed:
            return self._stored_count(), False
        return self._capped_count(sa.select(sa.literal(1)).select_from(self.table).where(*where))

    def _capped_count(self, statement: sa.Select[Any], limit: int | None = None) -> tuple[int, bool]:
        """(rows, estimated): the rows counted up to `limit` (else COUNT_LIMIT), and whether more follow."""
        limit = COUNT_LIMIT if limit is None else limit
        capped = statement.limit(limit + 1).subquery()
        rows = int(self.store.connection.execute(sa.select(sa.func.count()).select_from(capped)).scalar_one())
        return min(rows, limit), rows > limit

    def _stored_count(self) -> int:
        counts = self.store.counts
        statement = sa.select(counts.c.rows).where(counts.c.entity == self.name)
        return int(self.store.connection.execute(statement).scalar_one())

    def record(
        self,
        conn: sa.Connection,
        action: str,
        ids: Iterable[int],
        edits: Mapping[str, tuple[Value, Value]] | None = None,
        labels: Mapping[int, str] | None = None,
    ) -> None:
        """Add to each row's history, inside the write's own transaction: a write that fails leaves none.

        `edits`, for a change: each field it set, with its value before and after. The values are
        kept for the fields a list could show; long text and hidden fields are only named.
        `labels`, for a deletion: each row's label, to name it by once it is gone.
        """
        if not self.entity.history:
            return
        edits = edits or {}
        kept = {
            name: [as_json(self.fields[name], value) for value in pair]
            for name, pair in edits.items()
            if not self.fields[name].hidden and self.fields[name].kind != "longtext"
        }
        line = {
            "entity": self.name,
            "action": action,
            "fields": ",".join(edits),
            "by": self.store.actor(),
            "at": utcnow(),
            "values_json": json.dumps(kept, ensure_ascii=False) if kept else None,
        }
        labels = labels or {}
        lines = [{**line, "row": id, "label": labels.get(id)} for id in ids]
        if lines:
            conn.execute(self.store.changes.insert(), lines)

    def history(self, id: Any, limit: int = 20) -> list[Change]:
        """The row's latest changes, newest first."""
        changes = self.store.changes
        where = (changes.c.entity == self.name) & (changes.c.row == self._id(id))
        return self.store.read_changes(where, limit)

    def _add_to_count(self, conn: sa.Connection, rows: int) -> None:
        """Keep the row count in step, in the same transaction as the write."""
        counts = self.store.counts
        conn.execute(counts.update().where(counts.c.entity == self.name).values(rows=counts.c.rows + rows))

    def iterate(self, query: Query | None = None, batch: int = 1000) -> Iterator[Row]:
        """Every matching row, in order, read in batches (for exports)."""
        query = self._readable(query or Query())
        statement = (
            sa.select(self.table)
            .where(*self.where(query))
            .order_by(*self._order(*self.ordering(query)))
            .execution_options(yield_per=batch)
        )
        # closed with the generator, even one left unfinished (a server-side cursor on PostgreSQL)
        with self.store.connection.execute(statement) as result:
            for row in result:
                yield self._row(row)

    def _readable(self, query: Query) -> Query:
        """The query without NUL in its words (no stored text holds one: see without_nul), within bounds."""
        if len(query.filters) > MAX_FILTERS:
            raise ValidationError({"_filters": f"A list takes at most {MAX_FILTERS} filters at once."})
        if len(query.search.split()) > MAX_SEARCH_WORDS:
            raise ValidationError({"_search": f"A search takes at most {MAX_SEARCH_WORDS} words."})
        values = [query.search, *(f.value for f in query.filters)]
        if not any(isinstance(value, str) and "\x00" in value for value in values):
            return query
        filters = [Filter(f.field, f.op, without_nul(f.value)) for f in query.filters]
        return dataclasses.replace(query, search=str(without_nul(query.search)), filters=filters)

    def labels(self, ids: Iterable[Any]) -> dict[int, str]:
        """The title of each row, for showing references by name."""
        wanted = {int(i) for i in ids if i is not None}
        if not wanted:
            return {}
        title = self.fields[self.entity.title]
        statement = sa.select(self.table.c.id, self.table.c[title.name]).where(self.table.c.id.in_(wanted))
        values = {id: title.from_db(value) for id, value in self.store.connection.execute(statement)}
        if isinstance(title, Reference) and title.to != self.name:
            # A row titled by a reference (an order line by its product) borrows that label.
            names = self.store[title.to].labels(values.values())
            return {id: names.get(value) or f"{self.entity.label} {id}" for id, value in values.items()}
        return {id: title.format(value) or f"{self.entity.label} {id}" for id, value in values.items()}

    def label(self, row: Row) -> str:
        """The title of one row."""
        return self.labels([row["id"]]).get(row["id"], f"{self.entity.label} {row['id']}")

    def where(self, query: Query) -> list[sa.ColumnElement[bool]]:
        """The WHERE clauses of a query, after checking every field and operator."""
        return [*(self._filter(f) for f in query.filters), *self.search.clauses(query.search)]

    def _filter(self, flt: Filter) -> sa.ColumnElement[bool]:
        f = self._field(flt.field, "filter")
        if flt.op not in f.operators:
            allowed = ", ".join(f.operators)
            raise ValidationError(
                {flt.field: f"{f.label} can't be filtered with '{flt.op}'; use one of: {allowed}."}
            )
        column = self.table.c[f.name]
        if flt.op == "empty":
            try:
                wants_empty = Boolean("empty", label=f.label).clean(flt.value) is not False
            except FieldError:
                raise ValidationError({f.name: f"{f.label} 'empty' takes yes or no."}) from None
            return column.is_(None) if wants_empty else column.is_not(None)
        if flt.op in ("contains", "startswith"):
            return contains(column, str(flt.value), self.store.is_sqlite, start=flt.op == "startswith")
        asked = f.unbounded() if isinstance(f, Integer) else f  # "stock below -1" is a question, not a write
        try:
            value = f.to_db(asked.parse(flt.value) if flt.value not in (None, "") else None)
        except FieldError as error:
            raise ValidationError({f.name: str(error)}) from None
        if value is None:
            raise ValidationError({f.name: f"{f.label} needs a value to filter by."})
        if flt.op == "ne":
            return sa.or_(column != value, column.is_(None))
        return COMPARISONS[flt.op](column, value)

    def _order(self, sort: str | None, desc: bool) -> list[sa.UnaryExpression[Any]]:
        if sort is None:
            sort, desc = self.entity.sort
        f = self._field(sort, "sort")
        if sort not in self.entity.sortable:
            allowed = ", ".join(self.entity.sortable)
            raise ValidationError({sort: f"{f.label} can't be sorted; sortable fields: {allowed}."})
        column = self.sort_key(sort)
        direction = sa.desc if desc else sa.asc
        if sort == "id":
            return [direction(column)]
        first = direction(column)
        if not self.store.is_sqlite:  # empty values below every other, as SQLite has them
            first = first.nulls_last() if desc else first.nulls_first()
        return [first, direction(self.table.c.id)]

    def sort_key(self, name: str) -> sa.ColumnElement[Any]:
        """The column as lists order it: text without regard to case (CASELESS)."""
        column = self.table.c[name]
        if not self.caseless(name):
            return column
        return column.collate("NOCASE") if self.store.is_sqlite else sa.func.lower(column, type_=column.type)

    def caseless(self, name: str) -> bool:
        return self.fields[name].kind in CASELESS

    def _field(self, name: str, purpose: str) -> Field:
        if name not in self.fields:
            raise ValidationError({name: f"{self.entity.label} has no field '{name}' to {purpose} by."})
        return self.fields[name]

    def _first(self, *where: sa.ColumnElement[bool]) -> Row | None:
        statement = sa.select(self.table).where(*where).limit(1)
        found = self.store.connection.execute(statement).first()
        return None if found is None else self._row(found)

    def _row(self, record: sa.Row[Any]) -> Row:
        values = record._mapping
        return {name: f.from_db(values[name]) for name, f in self.fields.items()}

    def _id(self, id: Any) -> int:
        value = row_id(id)
        if value is None:
            raise NotFound(f"{self.entity.label} {id} doesn't exist.")
        return value

    # -- writing -------------------------------------------------------------

    def clean(
        self,
        data: Mapping[str, Value],
        current: Row | None = None,
        check_db: bool = True,
        hidden: bool = False,
    ) -> Row:
        """Validate `data` for a new row (current=None) or a change to `current`.

        Unknown names are refused, never ignored: a misspelt field must not
        silently lose its value.  Hidden fields (a password hash, a session
        token) are unknown too, unless the kit's own code says `hidden=True`.
        Raises ValidationError naming every bad field.  Bulk loads that resolve
        references themselves pass check_db=False.
        """
        errors: dict[str, str] = {}
        fields = self.entity.fields
        unknown = [name for name in data if name not in fields or (fields[name].hidden and not hidden)]
        for name in unknown:
            errors[str(name)] = f"{self.entity.label} has no field '{name}'."
        cleaned: Row = {}
        for name, f in self.entity.fields.items():
            if name in data:
                raw = without_nul(data[name])  # as stored: "\x00" is empty, and no unique check sees it
            elif current is None:
                raw = f.initial()
            else:
                continue
            try:
                cleaned[name] = f.clean(raw)
            except FieldError as error:
                errors[name] = str(error)
                continue
            value = cleaned[name]
            if name in self.indexed and isinstance(value, str) and len(value.encode()) > INDEXED_BYTES:
                errors[name] = (
                    f"{f.label} must be at most {INDEXED_BYTES:,} bytes (letters beyond a-z take 2-4)."
                )
        if check_db:
            self._check_references(cleaned, errors, current)
        if errors:
            raise ValidationError(errors)
        if check_db:
            self._check_unique(cleaned, None if current is None else current["id"])
        return cleaned

    def create(self, data: Mapping[str, Value], hidden: bool = False) -> Row:
        """Validate and insert one row; returns it as stored.  `hidden`: as for `clean`."""
        cleaned = self.clean(data, hidden=hidden)
        now = utcnow()
        values = {**self._to_db(cleaned), "created_at": now, "updated_at": now, VERSION: 1}
        try:
            with self.store.transaction() as conn:
                self._lock_references(conn, cleaned)
                id = conn.execute(self.table.insert().values(values)).inserted_primary_key[0]
                self._add_to_count(conn, 1)
                self.record(conn, "created", [id])
        except sa.exc.IntegrityError:
            # another writer took a unique value since clean() looked; named once rolled back
            raise self._conflict(cleaned) from None
        return self.get(id)

    def update(
        self,
        id: Any,
        data: Mapping[str, Value],
        expected_version: int | None = None,
        seen: Mapping[str, str] | None = None,
        hidden: bool = False,
    ) -> Row:
        """Validate and change the given fields of one row; returns it as stored.

        With `expected_version` (the version the editor started from) the
        change is made only if nobody saved the row since, in one statement;
        otherwise Changed names the fields that differ from `seen` (each value
        as Field.format showed it to the editor) with their new values.
        `hidden`: as for `clean`.
        """
        current = self.get(id)
        if expected_version is not None and current[VERSION] != expected_version:
            raise self._changed(current, seen)
        cleaned = self.clean(data, current, hidden=hidden)
        changed = [name for name, value in cleaned.items() if current[name] != value]
        if not changed:
            return current  # nothing to change: no new version for others' copies to be stale against
        table = self.table
        values = {**self._to_db(cleaned), "updated_at": utcnow(), VERSION: table.c[VERSION] + 1}
        where = [table.c.id == current["id"]]
        if expected_version is not None:
            where.append(table.c[VERSION] == expected_version)
        try:
            with self.store.transaction() as conn:
                self._lock_references(conn, cleaned)
                updated = conn.execute(table.update().where(*where).values(values)).rowcount
                edits = {name: (current[name], cleaned[name]) for name in changed}
                self.record(conn, "changed", [current["id"]] if updated else [], edits)
        except sa.exc.IntegrityError:
            raise self._conflict(cleaned, current["id"]) from None
        if not updated:
            raise self._changed(self.get(current["id"]), seen)
        return self.get(current["id"])

    def _changed(self, current: Row, seen: Mapping[str, str] | None) -> Changed:
        """The refusal of a stale edit, naming what differs from what the editor saw."""
        fields: dict[str, str] = {}
        for name, f in self.entity.fields.items():
            if f.hidden or seen is None or name not in seen or seen[name] == f.format(current[name]):
                continue
            value = current[name]
            if isinstance(f, Reference) and value is not None:
                shown = self.store[f.to].labels([value]).get(value, str(value))
            else:
                shown = f.format(value) if value not in (None, "") else "empty"
            fields[name] = f"{f.label} is now {shown}."
        return Changed(fields, current)

    def delete(self, id: Any, expected_version: int | None = None) -> None:
        """Delete one row, refused while other rows refer to it (or, with `expected_version`,
        if it was saved since the caller read it)."""
        if expected_version is None:
            self.delete_many([id])
            return
        current = self.get(id)
        if current[VERSION] != expected_version or not self.delete_many([id], expected_version):
            raise self._changed(self.get(id), None)

    def delete_many(self, ids: Iterable[Any], expected_version: int | None = None) -> int:
        """Delete rows by id in one transaction; refused (nothing deleted) if any is in use.

        The rows are locked before the check, so no row can start referring
        to them between the check and the delete.
        """
        wanted = sorted({self._id(i) for i in ids})
        if not wanted:
            return 0
        table = self.table
        where = [table.c.id.in_(wanted)]
        if expected_version is not None:
            where.append(table.c[VERSION] == expected_version)
        with self.store.transaction() as conn:
            locked = list(conn.execute(sa.select(table.c.id).where(*where).with_for_update()).scalars())
            self._check_unused(conn, locked)
            labels = self.labels(locked) if self.entity.history else {}
            result = conn.execute(table.delete().where(table.c.id.in_(locked)))
            self._add_to_count(conn, -result.rowcount)
            self.record(conn, "deleted", locked, labels=labels)
        return result.rowcount

    def delete_all(self, conn: sa.Connection) -> None:
        """Empty the table, and its rows' history, inside the caller's transaction (seed --reset)."""
        conn.execute(self.table.delete())
        conn.execute(self.store.changes.delete().where(self.store.changes.c.entity == self.name))
        counts = self.store.counts
        conn.execute(counts.update().where(counts.c.entity == self.name).values(rows=0))

    def load(self, rows: Iterable[Row], conn: sa.Connection, batch: int = 5000, bulk: bool = False) -> int:
        """Insert already-cleaned rows in batches inside the caller's transaction.

        The statement is compiled once and each batch goes to the driver's
        executemany as plain tuples: no per-row statement building.  With
        `bulk`, sort indexes and the search index are rebuilt once at the end.
        """
        if bulk:
            with self.bulk(conn):
                return self.load(rows, conn, batch)
        names = [*self.entity.fields, "created_at", "updated_at"]
        compiled = self.table.insert().compile(dialect=conn.dialect, column_keys=names)
        writers = [(name, self._writer(name, conn.dialect)) for name in names[:-2]]
        stamp = self._writer("created_at", conn.dialect)
        now = stamp(utcnow()) if stamp else utcnow()
        # positional drivers (SQLite) take tuples in placeholder order, the others dicts
        order = [names.index(key) for key in compiled.positiontup or ()]
        count, chunk = 0, []
        for row in rows:
            values = [row.get(name) if write is None else write(row.get(name)) for name, write in writers]
            values += (now, now)
            chunk.append(tuple(values[i] for i in order) if order else dict(zip(names, values, strict=True)))
            if len(chunk) == batch:
                conn.exec_driver_sql(compiled.string, chunk)
                count, chunk = count + len(chunk), []
        if chunk:
            conn.exec_driver_sql(compiled.string, chunk)
            count += len(chunk)
        self._add_to_count(conn, count)
        return count

    @contextmanager
    def bulk(self, conn: sa.Connection) -> Iterator[None]:
        """Drop the sort indexes and search triggers for a big load; build them once after it.

        Building an index over sorted rows is several times faster than
        growing it a row at a time.  Unique indexes stay: they guard the data.
        """
        dropped = [index for index in self.indexes(conn.dialect.name) if not index.unique]
        present = {i["name"] for i in sa.inspect(conn).get_indexes(self.name)}
        for index in dropped:
            if index.name in present:
                index.drop(conn)
        with self.search.suspended(conn):
            yield
        for index in dropped:
            index.create(conn)

    def _writer(self, name: str, dialect: sa.Dialect) -> Callable[[Value], Value] | None:
        """Python value -> what the driver takes, or None where the value goes as it is."""
        field = self.fields[name]
        to_db = None if type(field).to_db is Field.to_db else field.to_db
        column_type = self.table.c[name].type
        bind = None
        if not isinstance(column_type, sa.Boolean | sa.Integer | sa.String):
            # dates and times: the dialect's own format, so rows written here and by
            # create() compare and sort alike
            bind = column_type.dialect_impl(dialect).bind_processor(dialect)
        if bind is None:
            return to_db
        if to_db is None:
            return bind
        return lambda value: bind(to_db(value))

    def _to_db(self, cleaned: Row) -> Row:
        return {name: without_nul(self.fields[name].to_db(value)) for name, value in cleaned.items()}

    def _check_references(self, cleaned: Row, errors: dict[str, str], current: Row | None) -> None:
        for ref in self.entity.references:
            value = cleaned.get(ref.name)
            if value is None or ref.name in errors:
                continue
            if current is not None and ref.to == self.name and value == current["id"]:
                errors[ref.name] = f"{ref.label} can't be the row itself."
                continue
            target = self.store[ref.to]
            if target._first(target.table.c.id == value) is None:
                errors[ref.name] = self._missing(ref, value)

    def _missing(self, ref: Reference, value: int) -> str:
        """ "Customer 99 doesn't exist.", led by the field's label where it says more ("Parent: ...")."""
        said = f"{self.store[ref.to].entity.label} {value} doesn't exist."
        return said if ref.label == self.store[ref.to].entity.label else f"{ref.label}: {said}"

    def _lock_references(self, conn: sa.Connection, cleaned: Row) -> None:
        """Inside a write: the rows referred to still exist, and stay until it commits.

        On PostgreSQL each is locked FOR SHARE, so a concurrent delete (which
        locks FOR UPDATE before checking for referrers) waits or sees this row.
        SQLite's write lock already keeps every other writer out.
        """
        errors = {}
        for ref in self.entity.references:
            value = cleaned.get(ref.name)
            if value is None:
                continue
            target = self.store[ref.to].table
            statement = sa.select(target.c.id).where(target.c.id == value).with_for_update(read=True)
            if conn.execute(statement).first() is None:
                errors[ref.name] = self._missing(ref, value)
        if errors:
            raise ValidationError(errors)

    def _check_unique(self, cleaned: Row, own_id: int | None) -> None:
        errors = {}
        for name, value in cleaned.items():
            f = self.fields[name]
            if not f.unique or value is None:
                continue
            clash = self.table.c[name] == f.to_db(value)
            if own_id is not None:
                clash = sa.and_(clash, self.table.c.id != own_id)
            if self._first(clash) is not None:
                shown = (
                    self.store[f.to].labels([value])[value] if isinstance(f, Reference) else f.format(value)
                )
                errors[name] = f"{f.label} '{shown}' is already taken."
        if errors:
            raise Conflict(errors)

    def _conflict(self, cleaned: Row, own_id: int | None = None) -> Exception:
        """Name the field behind an IntegrityError that a concurrent write caused."""
        try:
            self._check_unique(cleaned, own_id)
        except Conflict as conflict:
            return conflict
        return Conflict({"id": f"{self.entity.label} could not be saved; try again."})

    def _check_unused(self, conn: sa.Connection, ids: list[int]) -> None:
        for entity, ref in self.store.schema.referrers(self.name):
            other = self.store[entity.name]
            column = other.table.c[ref.name]
            where = column.in_(ids)
            if entity.name == self.name:
                where = sa.and_(where, other.table.c.id.not_in(ids))
            used = conn.execute(sa.select(sa.func.count()).select_from(other.table).where(where)).scalar_one()
            if not used:
                continue
            verb = "refers" if used == 1 else "refer"
            noun = entity.noun(many=used != 1)
            if len(ids) == 1:
                through = f"through '{ref.label}'"
                raise InUse(
                    f"{self.entity.label} can't be deleted: {used} {noun} still {verb} to it {through}."
                )
            # of several rows, name those in use: the others were kept too, and why is not theirs
            held = conn.execute(sa.select(column).where(where).distinct().limit(4)).scalars().all()
            names = [f"'{label}'" for label in self.labels(held[:3]).values()]
            listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
            more = " and more" if len(held) > 3 else ""
            them = "it" if len(held) == 1 else "them"
            raise InUse(
                f"Nothing was deleted: {used} {noun} still {verb} to {listed}{more} through '{ref.label}'; "
                f"delete or change those first, or leave {them} out."
            )


def init_app(app: Flask, models: types.ModuleType) -> Store:
    """Check models.py, make its tables, and release the connection after each request."""
    schema = Schema.from_module(models, builtins=[USER, TOKEN, LOGIN_FAILURE])
    kit_store = Store(app.config["DATABASE_URL"], schema, pool=app.config["DATABASE_POOL"])
    try:
        kit_store.sync()
    except BaseException as error:
        kit_store.close()  # a failed start leaves no connection open
        if isinstance(error, sa.exc.ProgrammingError | sa.exc.IntegrityError):
            raise StartupError(
                f"The database refused the tables models.py declares ({reason(error)})."
            ) from None
        if isinstance(error, sa.exc.DBAPIError):
            raise StartupError(unreachable(kit_store.url, error)) from None
        raise
    kit_store.release()
    app.extensions["kit.store"] = kit_store
    app.teardown_appcontext(lambda error: kit_store.release())
    return kit_store


def unreachable(url: sa.URL, error: sa.exc.DBAPIError) -> str:
    """Why the database at `url` can't be used, in one sentence without its password."""
    if url.get_backend_name() == "sqlite":
        return (
            f"DATABASE_URL's SQLite file {url.database} can't be opened ({reason(error)}); "
            "is its folder writable?"
        )
    where = url.render_as_string(hide_password=True)
    return f"DATABASE_URL {where} can't be reached ({reason(error)}); check it and that the server runs."


def reason(error: sa.exc.DBAPIError) -> str:
    """The database's own first line about an error."""
    return str(error.orig).strip().splitlines()[0].rstrip(".")


def store() -> Store:
    """The running app's store."""
    return current_app.extensions["kit.store"]
