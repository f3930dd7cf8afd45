"""Entity declarations and the checks that run on them at start-up."""

from __future__ import annotations

import hashlib
import re
import types
from collections.abc import Iterable, Sequence

from kit.errors import StartupError
from kit.fields import Field, Reference, not_a_flag, unknown_option

MANAGED = ("id", "created_at", "updated_at")
"""Columns the kit owns on every table; no declaration may use these names."""
VERSION = "version"
"""The kit's own count of a row's saves, for refusing edits made from a stale copy; reserved too."""

FORM_NAMES = (
    "csrf_token",
    "data",
    "errors",
    "form_errors",
    "hidden_tag",
    "is_submitted",
    "meta",
    "populate_obj",
    "post_process",
    "process",
    "url",
    "validate",
    "validate_on_submit",
)
"""What the admin's forms already call their own (WTForms' and Flask-Admin's): not field names."""
KIT_PATHS = ("docs", "session", "tokens", "users")
"""Entity names taken by the kit's own pages, /api/<name> and /admin/<name>/."""

NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}\Z")


def relation_name(*parts: str) -> str:
    """A table or index name made of `parts`; past PostgreSQL's 63 bytes it ends in a hash of the whole."""
    name = "_".join(parts)
    if len(name) <= 63:  # declared names are ASCII: a byte a letter
        return name
    return f"{name[:54]}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"


class DeclarationError(StartupError):
    """A mistake in models.py, told in one sentence naming entity and field."""


class Entity:
    """A kind of thing the product stores: a table, its admin screens and its API."""

    def __init__(
        self,
        name: str,
        *fields: Field,
        label: str | None = None,
        plural: str | None = None,
        title: str | None = None,
        key: str | None = None,
        order: str = "-id",
        search: Sequence[str] = (),
        columns: Sequence[str] = (),
        sortable: Sequence[str] = (),
        help: str = "",
        public_read: bool = False,
        history: bool = True,
        **unknown: object,
    ) -> None:
        self.name = name
        self.public_read = public_read  # anyone may read its rows through the API
        self.history = history  # each write adds a line to its row's history (a log of its own: False)
        self.fields: dict[str, Field] = {}
        self.label = label or (name.replace("_", " ").capitalize() if isinstance(name, str) else "")
        self.plural = plural or (plural_of(self.label) if isinstance(self.label, str) else "")
        self.help = help
        self._declared = fields
        self._title, self._key, self.order = title, key, order
        self._lists = {"search": search, "columns": columns, "sortable": sortable}  # as given, for check()
        self._search, self._columns, self._sortable = (
            tuple(names) if isinstance(names, list | tuple) else () for names in self._lists.values()
        )
        self.unknown = list(unknown)  # told by check(), with the entity's name, rather than a TypeError

    def noun(self, many: bool = True) -> str:
        """The label (or plural) inside a sentence: lower-cased only where the kit made it from the name.

        "order" becomes "Orders" by itself and reads "Search orders…"; a declared label
        (a German noun, a name) is shown as written: "Search Bestellungen…".
        """
        made = self.name.replace("_", " ").capitalize()
        if not many:
            return self.label.lower() if self.label == made else self.label
        return self.plural.lower() if self.label == made and self.plural == plural_of(made) else self.plural

    def __repr__(self) -> str:
        return f"Entity({self.name!r})"

    @property
    def title(self) -> str:
        """The field that labels a row where it is referenced: `title=` or the first text."""
        return self._title or next(
            (f.name for f in self.fields.values() if f.kind in ("text", "email")), "id"
        )

    @property
    def key(self) -> str | None:
        """The natural key seed files use to refer to a row: `key=` or the first unique field."""
        return self._key or next((f.name for f in self.fields.values() if f.unique), None)

    @property
    def search(self) -> tuple[str, ...]:
        """Fields the search box looks in: `search=` or every short text field."""
        return self._search or tuple(
            f.name for f in self.fields.values() if f.kind in ("text", "email") and not f.hidden
        )

    @property
    def columns(self) -> tuple[str, ...]:
        """Fields shown in the list: `columns=` or the first six that fit a list."""
        return self._columns or tuple(f.name for f in self.fields.values() if f.kind != "longtext")[:6]

    @property
    def sortable(self) -> tuple[str, ...]:
        """Fields a list can be sorted by, each with an index: `sortable=` or the list's columns."""
        names = self._sortable or (*self.columns, self.title, self.sort[0])
        fields = [n for n in dict.fromkeys(names) if n not in self.fields or self.fields[n].sortable]
        return tuple(dict.fromkeys((*fields, *MANAGED)))

    @property
    def references(self) -> list[Reference]:
        return [f for f in self.fields.values() if isinstance(f, Reference)]

    @property
    def sort(self) -> tuple[str, bool]:
        """The default order as (field name, descending)."""
        return self.order.lstrip("-"), self.order.startswith("-")

    def check(self, builtin: bool = False) -> None:
        """Raise DeclarationError for the first mistake in this entity alone."""
        where = f"Entity '{self.name}'"
        if not isinstance(self.name, str) or not NAME.match(self.name):
            raise DeclarationError(f"{where}: names are lower-case letters, digits and underscores.")
        if self.name.startswith("kit_") and not builtin:
            raise DeclarationError(f"{where}: the prefix 'kit_' is reserved for the kit.")
        if self.name in KIT_PATHS:
            raise DeclarationError(f"{where}: the name is taken by the kit's own /{self.name} pages.")
        if mistake := self._mistaken_option():
            raise DeclarationError(f"{where}: {mistake}")
        self.fields = {}
        for field in self._declared:
            if not isinstance(field, Field):
                raise DeclarationError(
                    f"{where}: {field!r} is not a field kind; use Text, Integer, Money, ..."
                )
            where_field = f"{where}, field '{field.name}'"
            if not isinstance(field.name, str) or not NAME.match(field.name):
                raise DeclarationError(
                    f"{where_field}: names are lower-case letters, digits and underscores."
                )
            if field.name in (*MANAGED, VERSION):
                raise DeclarationError(f"{where_field}: '{field.name}' is managed by the kit.")
            if field.name in FORM_NAMES:
                raise DeclarationError(f"{where_field}: the admin's forms use '{field.name}' themselves.")
            if "__" in field.name:
                raise DeclarationError(f"{where_field}: '__' in a name would read as a filter (price__gte).")
            if field.name in self.fields:
                raise DeclarationError(f"{where_field}: declared twice.")
            field.entity = self.name
            if mistake := field.mistake():
                raise DeclarationError(f"{where_field}: {mistake}")
            self.fields[field.name] = field
        for option, names in (
            ("search", self._search),
            ("columns", self._columns),
            ("sortable", self._sortable),
        ):
            self._check_names(option, names)
        for option, name in (("title", self._title), ("key", self._key), ("order", self.sort[0])):
            if name is not None:
                self._check_names(option, [name])
        self._check_kinds()

    def _mistaken_option(self) -> str | None:
        """An entity option that is unknown or of the wrong type, as the end of a sentence, or None."""
        if self.unknown:
            return unknown_option(Entity, self.unknown[0])
        for option in ("label", "plural", "help"):
            if not isinstance(getattr(self, option), str):
                return f"{option} is {getattr(self, option)!r}; give text."
        if not isinstance(self.order, str):
            return f"order is {self.order!r}; give a field's name, with '-' before it for the reverse order."
        for option, value in (("title", self._title), ("key", self._key)):
            if value is not None and not isinstance(value, str):
                return f"{option} is {value!r}; give a field's name."
        for option, names in self._lists.items():
            if isinstance(names, str):
                return f"{option} is {names!r}; give a list of field names: {option}=[{names!r}]."
            if not isinstance(names, list | tuple) or not all(isinstance(name, str) for name in names):
                return f"{option} is {names!r}; give a list of field names."
        for option in ("public_read", "history"):
            if mistake := not_a_flag(option, getattr(self, option)):
                return mistake
        return None

    def _check_kinds(self) -> None:
        """Words are looked for in text fields only; lists sort by fields with an order."""
        for option, names, verb in (
            ("search", self._search, "searched"),
            ("sortable", self._sortable, "sorted"),
            ("order", [self.sort[0]], "sorted"),
        ):
            for name in names:
                field = self.fields.get(name)
                if field is None:
                    fits = verb == "sorted"  # id, created_at and updated_at: sorted, never searched
                else:
                    fits = field.searchable if verb == "searched" else field.sortable
                if not fits:
                    kind = (
                        f"{'an' if field.kind[0] in 'aeiou' else 'a'} {field.kind} field"
                        if field
                        else "one of the kit's own columns"
                    )
                    raise DeclarationError(
                        f"Entity '{self.name}', {option}: '{name}' is {kind}, which can't be {verb}."
                    )

    def _check_names(self, option: str, names: Iterable[str]) -> None:
        for name in names:
            if name not in self.fields and name not in MANAGED:
                raise DeclarationError(f"Entity '{self.name}', {option}: there is no field '{name}'.")


def plural_of(label: str) -> str:
    """An English plural: category -> categories, box -> boxes, customer -> customers."""
    if re.search(r"[^aeiou]y\Z", label):
        return label[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)\Z", label):
        return label + "es"
    return label + "s"


class Schema:
    """Every entity of the product, checked together."""

    def __init__(self, entities: Iterable[Entity], builtins: Iterable[Entity] = ()) -> None:
        self.entities: dict[str, Entity] = {}
        declared = [(entity, False) for entity in entities]
        for entity, builtin in [*declared, *((entity, True) for entity in builtins)]:
            if not isinstance(entity, Entity):
                raise DeclarationError(f"{entity!r} is not an Entity.")
            entity.check(builtin)
            if entity.name in self.entities:
                raise DeclarationError(f"Entity '{entity.name}' is declared twice.")
            self.entities[entity.name] = entity
        for entity in self.entities.values():
            for ref in entity.references:
                where = f"Entity '{entity.name}', field '{ref.name}'"
                if ref.to not in self.entities:
                    raise DeclarationError(f"{where}: there is no entity '{ref.to}' to refer to.")
        for entity in self.entities.values():
            self._check_titles(entity)
        self.load_order()  # a circle of required references: no first row could be stored

    def _check_titles(self, entity: Entity) -> None:
        """A row titled by a reference borrows the referred row's title: that chain must end."""
        chain, current = [entity.name], entity
        while isinstance(title := current.fields.get(current.title), Reference) and title.to != current.name:
            current = self.entities[title.to]
            if current.name in chain:
                circle = " -> ".join((*chain[chain.index(current.name) :], current.name))
                raise DeclarationError(
                    f"Entity '{entity.name}', title: rows would borrow their titles in a circle ({circle})."
                )
            chain.append(current.name)

    @classmethod
    def from_module(cls, module: types.ModuleType, builtins: Iterable[Entity] = ()) -> Schema:
        """Every Entity defined at the top of a models module, in the order written (once per entity)."""
        declared = {id(value): value for value in vars(module).values() if isinstance(value, Entity)}
        return cls(declared.values(), builtins)

    @property
    def declared(self) -> list[Entity]:
        """The product's own entities, without the kit's (users)."""
        return [e for e in self.entities.values() if not e.name.startswith("kit_")]

    def __getitem__(self, name: str) -> Entity:
        return self.entities[name]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.entities.values())

    def __contains__(self, name: object) -> bool:
        return name in self.entities

    def load_order(self) -> list[Entity]:
        """Entities so that each comes after those it refers to.

        An optional reference that closes a circle (a customer's favourite
        order, when orders refer to customers) is left out of the order: rows
        are stored without it and linked once all are in, as self-references
        are.  A circle of required references could never be filled.
        """
        done: dict[str, Entity] = {}

        def visit(entity: Entity, path: tuple[str, ...]) -> None:
            if entity.name in done:
                return
            if entity.name in path:
                cycle = " -> ".join((*path[path.index(entity.name) :], entity.name))
                raise DeclarationError(
                    f"Entities require each other in a circle: {cycle}; "
                    "make one of these references optional."
                )
            for ref in entity.references:
                if ref.to != entity.name and not self.linked_later(entity, ref):
                    visit(self.entities[ref.to], (*path, entity.name))
            done[entity.name] = entity

        for entity in self.entities.values():
            visit(entity, ())
        return list(done.values())

    def linked_later(self, entity: Entity, ref: Reference) -> bool:
        """Whether `ref` is filled after its rows are stored: it refers to its own entity, or
        is optional and refers to one that (through others) refers back."""
        if ref.to == entity.name:
            return True
        return not ref.required and self.reaches(ref.to, entity.name)

    def reaches(self, start: str, goal: str) -> bool:
        """Whether entity `start` refers, through any chain of references, to entity `goal`."""
        seen, stack = {start}, [start]
        while stack:
            for ref in self.entities[stack.pop()].references:
                if ref.to == goal:
                    return True
                if ref.to not in seen:
                    seen.add(ref.to)
                    stack.append(ref.to)
        return False

    def referrers(self, name: str) -> list[tuple[Entity, Reference]]:
        """Every (entity, field) that refers to entity `name`."""
        return [
            (entity, ref) for entity in self.entities.values() for ref in entity.references if ref.to == name
        ]
