"""Field kinds: what a value of each kind may be, how it is stored and shown.

Every value that reaches the database passes through `Field.clean`, whether it
came from an admin form, the API, a seed file or a page of the app.  `clean`
accepts strings (forms, CSV, query strings) as well as native Python values
and returns the native value, or raises `FieldError` with one sentence that
names the field.
"""

from __future__ import annotations

import datetime as dt
import difflib
import inspect
import math
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

import sqlalchemy as sa

Value = Any
"""A cleaned Python value of a field: str, int, Decimal, bool, date, datetime or None."""


# A value of these kinds as JSON has it, where not as is (the API, a row's history).
TO_JSON: dict[str, Callable[[Any], Any]] = {
    "money": lambda value: f"{value:f}",  # exact text, never a float
    "date": lambda value: value.isoformat(),
    "datetime": lambda value: value.isoformat() + "Z",  # stored in UTC
}
FROM_JSON: dict[str, Callable[[Any], Any]] = {
    "money": Decimal,
    "date": dt.date.fromisoformat,
    "datetime": lambda text: dt.datetime.fromisoformat(text.removesuffix("Z")),
}
"""TO_JSON undone: a stored value read back exactly (Field.parse might refuse one stored long ago)."""


def as_json(field: Field, value: Value) -> Any:
    """A cleaned value of `field` as JSON has it: the API's rows and cursors, a row's history."""
    convert = TO_JSON.get(field.kind)
    return value if convert is None or value is None else convert(value)


class FieldError(ValueError):
    """A value that a field refuses; the message is shown to the user as is."""


def option_names(kind: type) -> list[str]:
    """The keyword options a field kind (or Entity) takes: its own, then every field's."""
    names: dict[str, None] = {}
    for cls in (kind, Field) if issubclass(kind, Field) else (kind,):
        for parameter in inspect.signature(cls).parameters.values():
            if parameter.kind is parameter.KEYWORD_ONLY or parameter.kind is parameter.POSITIONAL_OR_KEYWORD:
                names[parameter.name] = None
    names.pop("name", None)
    return list(names)


def unknown_option(kind: type, option: str) -> str:
    """The end of the sentence for an option that `kind` doesn't take, with the likeliest meant."""
    known = option_names(kind)
    close = difflib.get_close_matches(option, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"it takes {', '.join(known)}."
    return f"'{option}' is not an option of {kind.__name__}; {hint}"


def made_label(value: str) -> str:
    """A label made from a choice's value: "in_progress" reads "In progress", "São Paulo" as written."""
    words = value.replace("_", " ")
    return words[:1].upper() + words[1:]


def not_a_flag(option: str, value: object) -> str | None:
    """The end of a sentence for an option that must be True or False and isn't, else None."""
    return None if isinstance(value, bool) else f"{option} is {value!r}; give True or False."


def row_id(raw: Any) -> int | None:
    """An id as ints and URLs write it, ASCII digits ('01', '+1', '1_0' and '١' are none), or None."""
    written = isinstance(raw, str) and raw.isascii() and raw.isdigit() and not raw.startswith("0")
    if not (written or (isinstance(raw, int) and not isinstance(raw, bool))):
        return None
    value = int(raw)
    return value if 0 < value < 2**63 else None  # positive 64-bit: larger ones crash the driver


def whole(raw: Value) -> Value:
    """A JSON number with nothing after its point (1.0, 1e2) as the int it is; anything else as given."""
    if isinstance(raw, float | Decimal) and math.isfinite(raw) and raw == int(raw):
        return int(raw)
    return raw


class Field:
    """One declared column of an entity."""

    kind: ClassVar[str] = "text"
    operators: ClassVar[tuple[str, ...]] = ("eq", "ne", "contains", "startswith", "empty")
    sortable: ClassVar[bool] = True
    searchable: ClassVar[bool] = True  # words can be looked for in it: text kinds

    def __init__(
        self,
        name: str,
        *,
        label: str | None = None,
        required: bool = False,
        unique: bool = False,
        default: Value = None,
        help: str = "",
        hidden: bool = False,
        **unknown: Any,
    ) -> None:
        self.unknown = list(unknown)  # told by mistake(), with the entity's name, rather than a TypeError
        self.name = name
        self.hidden = hidden
        self.label = label or name.replace("_", " ").capitalize()
        self.required = required
        self.unique = unique
        self.default = default
        self.help = help
        self.entity = ""  # set when the entity is declared

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    def sql_type(self) -> sa.types.TypeEngine[Any]:
        """The column type this kind is stored as."""
        return sa.UnicodeText()

    def mistake(self) -> str | None:
        """What is wrong with this declaration, as the end of a sentence, or None."""
        if self.unknown:
            return unknown_option(type(self), self.unknown[0])
        if not isinstance(self.label, str) or not isinstance(self.help, str):
            return "its label and help must be text."
        for option in ("required", "unique", "hidden"):
            if mistake := not_a_flag(option, getattr(self, option)):
                return mistake
        if self.hidden and self.required and self.default is None:
            return "a hidden field that is required needs a default: no form or API call can fill it."
        if self.default is None or callable(self.default):
            return None
        if self.unique:
            return "a unique field with a default gives every row saved without a value the same one."
        try:
            self.clean(self.default)
        except FieldError as error:
            return f"its default {self.default!r} is refused: {error}"
        return None

    def clean(self, raw: Value) -> Value:
        """Return `raw` as this field's Python value, or raise FieldError."""
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            if self.required:
                raise FieldError(f"{self.label} is required.")
            return None
        return self.parse(raw)

    def parse(self, raw: Value) -> Value:
        """Convert a non-empty raw value; kinds override this."""
        if not isinstance(raw, str):
            raise FieldError(f"{self.label} must be text.")
        return raw.strip()

    def initial(self) -> Value:
        """The value a new row starts with (a callable default is called)."""
        return self.default() if callable(self.default) else self.default

    def to_db(self, value: Value) -> Value:
        """The cleaned value as it is written to the column."""
        return value

    def from_db(self, value: Value) -> Value:
        """The column value as the cleaned Python value."""
        return value

    def format(self, value: Value) -> str:
        """The value as text for a person: lists, exports, labels."""
        return "" if value is None else str(value)

    def error(self, problem: str) -> FieldError:
        return FieldError(f"{self.label} {problem}")


class Text(Field):
    """A short, one-line text."""

    kind = "text"

    def __init__(self, name: str, *, max_length: int = 200, **options: Any) -> None:
        super().__init__(name, **options)
        self.max_length = max_length

    def mistake(self) -> str | None:
        return length_mistake(self.max_length) or super().mistake()

    def parse(self, raw: Value) -> Value:
        value = super().parse(raw)
        if len(value) > self.max_length:
            raise self.error(f"must be at most {self.max_length} characters.")
        return value


class LongText(Field):
    """Several paragraphs of text."""

    kind = "longtext"
    sortable = False

    def __init__(self, name: str, *, max_length: int = 20_000, **options: Any) -> None:
        super().__init__(name, **options)
        self.max_length = max_length

    def mistake(self) -> str | None:
        return length_mistake(self.max_length) or super().mistake()

    def parse(self, raw: Value) -> Value:
        if not isinstance(raw, str):
            raise self.error("must be text.")
        value = raw.strip().replace("\r\n", "\n")
        if len(value) > self.max_length:
            raise self.error(f"must be at most {self.max_length} characters.")
        return value


class Email(Text):
    """An email address, kept in lower case so it can be a natural key."""

    kind = "email"
    pattern = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

    def parse(self, raw: Value) -> Value:
        value = super().parse(raw).lower()
        if not self.pattern.match(value):
            raise self.error("must be an email address like name@example.com.")
        return value


class Url(Text):
    """A web address; only http and https, so a stored link can't run script."""

    kind = "url"
    pattern = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)

    def __init__(self, name: str, *, max_length: int = 2000, **options: Any) -> None:
        super().__init__(name, max_length=max_length, **options)

    def parse(self, raw: Value) -> Value:
        value = super().parse(raw)
        if not self.pattern.match(value):
            raise self.error("must be a web address starting with http:// or https://.")
        return value


NUMBER_OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "empty")
GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
"""1,234,567.50: commas only as thousands separators, so "12,50" is refused, not read as 1250."""


DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)", re.ASCII)
"""A number as people write it: ASCII digits and a point, no exponent ("1e3" is a typo as often as not)."""


def plain_number(text: str) -> str | None:
    """`text` without thousands separators, or None where it is no number as people write one.

    A comma must separate thousands, so "12,50" is refused, not read as 1250; Python's
    own readings of "1e3" and "١٢" are refused too.
    """
    text = text.strip()
    if "," in text and not GROUPED.fullmatch(text):
        return None
    text = text.replace(",", "").replace("_", "")
    return text if DECIMAL.fullmatch(text) else None


class Integer(Field):
    """A whole number, optionally bounded."""

    kind = "integer"
    operators = NUMBER_OPERATORS
    searchable = False

    def __init__(self, name: str, *, min: int | None = None, max: int | None = None, **options: Any) -> None:
        super().__init__(name, **options)
        self.min, self.max = self.as_bound(min), self.as_bound(max)

    def as_bound(self, value: Value) -> Value:
        """A bound as a value of this kind (money's "0.50" as 0.50), or as given if it is none (mistake)."""
        try:
            return None if value is None else type(self)(self.name).parse(value)
        except FieldError:
            return value

    def mistake(self) -> str | None:
        twin = self.unbounded()
        for bound, value in (("min", self.min), ("max", self.max)):
            try:
                twin.clean(value)
            except FieldError as error:
                return f"{bound} {value!r} is refused: {error}"
        if self.min is not None and self.max is not None and self.min > self.max:
            return f"min {self.format(self.min)} is above max {self.format(self.max)}."
        return super().mistake()

    def sql_type(self) -> sa.types.TypeEngine[Any]:
        return sa.BigInteger()

    def parse(self, raw: Value) -> Value:
        if isinstance(raw, bool):
            raise self.error("must be a whole number.")
        raw = whole(raw)
        if isinstance(raw, int):
            value = raw
        else:
            try:
                value = int(plain_number(str(raw)) or "")
            except ValueError:
                raise self.error("must be a whole number.") from None
        return self.bounded(value)

    def unbounded(self) -> Integer:
        """This field without its declared min and max: a filter asks a question, only a write is bounded."""
        return type(self)(self.name, label=self.label)

    def bounded(self, value: Any) -> Any:
        if self.min is not None and value < self.min:
            raise self.error(f"must be at least {self.format(self.min)}.")
        if self.max is not None and value > self.max:
            raise self.error(f"must be at most {self.format(self.max)}.")
        if abs(value) >= 2**63 // 100:
            raise self.error("is too large.")
        return value


class Money(Integer):
    """An exact amount with two decimals, stored as whole cents (no float anywhere)."""

    kind = "money"
    cents = Decimal("0.01")

    def parse(self, raw: Value) -> Value:
        if isinstance(raw, (bool, float)):
            # A float has already lost exactness; ask for text or Decimal.
            raise self.error("must be an amount like 12.50.")
        if isinstance(raw, Decimal | int):
            value = Decimal(raw)  # already a number: no text to read (bulk loads pass these)
        else:
            try:
                value = Decimal(plain_number(str(raw).strip().lstrip("$€£")) or "")
            except InvalidOperation:
                raise self.error("must be an amount like 12.50.") from None
        if not value.is_finite():
            raise self.error("must be an amount like 12.50.")
        try:
            exact = value.quantize(self.cents)
        except InvalidOperation:
            raise self.error("is too large.") from None
        if value != exact:
            raise self.error("can have at most two decimals.")
        return self.bounded(exact)

    def to_db(self, value: Value) -> Value:
        return None if value is None else int(value * 100)

    def from_db(self, value: Value) -> Value:
        return None if value is None else (Decimal(value) / 100).quantize(self.cents)

    def format(self, value: Value) -> str:
        return "" if value is None else f"{value:,.2f}"


class Boolean(Field):
    """Yes or no."""

    kind = "boolean"
    operators = ("eq",)
    searchable = False
    words = {
        "true": True,
        "yes": True,
        "y": True,
        "1": True,
        "on": True,
        "false": False,
        "no": False,
        "n": False,
        "0": False,
        "off": False,
    }

    def __init__(self, name: str, *, default: Value = False, **options: Any) -> None:
        super().__init__(name, default=default, **options)

    def mistake(self) -> str | None:
        if self.required is True:
            return "a boolean always has a value (an unticked box is no); leave out required=True."
        return super().mistake()

    def sql_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Boolean()

    def clean(self, raw: Value) -> Value:
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            return False  # an unticked box is "no", never "missing"
        return self.parse(raw)

    def parse(self, raw: Value) -> Value:
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word not in self.words:
            raise self.error("must be yes or no.")
        return self.words[word]

    def from_db(self, value: Value) -> Value:
        return None if value is None else bool(value)

    def format(self, value: Value) -> str:
        return {True: "yes", False: "no"}.get(value, "")


DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?=$|[ T])")


def no_such_day(text: str) -> str | None:
    """The end of a sentence for a date written right that the calendar lacks (2026-02-30), else None."""
    found = DAY.match(text)
    if found is None:
        return None
    try:
        dt.date(*map(int, found.groups()))
    except ValueError:
        return f"must be a day of the calendar: there is no {found.group(0)}."
    return None


class Date(Field):
    """A calendar day, written 2026-11-26."""

    kind = "date"
    operators = NUMBER_OPERATORS
    searchable = False

    def sql_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Date()

    def parse(self, raw: Value) -> Value:
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        text = str(raw).strip()
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise self.error(no_such_day(text) or "must be a date like 2026-11-26.") from None

    def format(self, value: Value) -> str:
        return "" if value is None else value.isoformat()


class DateTime(Field):
    """A moment, stored in UTC without a zone, written 2026-11-26 14:30."""

    kind = "datetime"
    operators = NUMBER_OPERATORS
    searchable = False

    def sql_type(self) -> sa.types.TypeEngine[Any]:
        return sa.DateTime()

    def parse(self, raw: Value) -> Value:
        if isinstance(raw, dt.datetime):
            value = raw
        elif isinstance(raw, dt.date):
            value = dt.datetime.combine(raw, dt.time())
        else:
            text = str(raw).strip().replace("Z", "+00:00")
            try:
                value = dt.datetime.fromisoformat(text)
            except ValueError:
                problem = no_such_day(text) or "must be a date and time like 2026-11-26 14:30."
                raise self.error(problem) from None
        if value.tzinfo is not None:
            try:
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            except OverflowError:
                raise self.error("must be a date and time like 2026-11-26 14:30.") from None
        return value.replace(microsecond=0)

    def format(self, value: Value) -> str:
        return "" if value is None else value.isoformat(sep=" ", timespec="minutes")


class Choice(Field):
    """One of a fixed list of options, given as values or (value, label) pairs."""

    kind = "choice"
    operators = ("eq", "ne", "empty")

    def __init__(
        self, name: str, options: Sequence[str | tuple[str, str]] | Mapping[str, str] = (), **kwargs: Any
    ) -> None:
        super().__init__(name, **kwargs)
        self.options: dict[str, str] = {}
        if isinstance(options, str):  # one string would be an option per letter
            self.odd, options = [options], []
        else:
            options = list(options.items()) if isinstance(options, Mapping) else list(options)
            self.odd = [option for option in options if not is_option(option)]  # told by mistake()
        for option in options:
            if is_option(option):
                value, label = option if isinstance(option, tuple) else (option, option)
                self.options[value] = label if label != value else made_label(value)

    def mistake(self) -> str | None:
        if self.odd:
            return (
                f"{self.odd[0]!r} is not an option; give a list of text or of (value, label) pairs, "
                "or a dict of value: label."
            )
        if not self.options:
            return "a choice needs at least one option."
        for value in self.options:
            if not value or value != value.strip():
                return f"the option {value!r} can't be chosen: an option needs text without spaces around it."
        folded = [value.casefold() for value in self.options]
        twins = [value for value, key in zip(self.options, folded, strict=True) if folded.count(key) > 1]
        if twins:
            return f"the options {twins[0]!r} and {twins[1]!r} differ only in case, and are read alike."
        return super().mistake()

    def sql_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Unicode(max(len(value) for value in self.options))

    def parse(self, raw: Value) -> Value:
        value = str(raw).strip()
        if value in self.options:
            return value
        for key, label in self.options.items():
            if value.casefold() in (key.casefold(), label.casefold()):
                return key
        listed = ", ".join(self.options)
        raise self.error(f"must be one of: {listed}.")

    def format(self, value: Value) -> str:
        return "" if value is None else self.options.get(value, value)


class Reference(Field):
    """A link to one row of another entity (or of the same one), stored as its id."""

    kind = "reference"
    operators = ("eq", "ne", "empty")
    searchable = False

    def __init__(self, name: str, to: Any = None, **options: Any) -> None:
        super().__init__(name, **options)
        if to is not None and not isinstance(to, str):
            to = getattr(to, "name", to)  # the declared Entity itself, rather than its name
        self.to: str = to or name

    def mistake(self) -> str | None:
        if self.required and self.to == self.entity:
            return "a required reference to its own entity leaves the first row nothing to refer to."
        return super().mistake()

    def sql_type(self) -> sa.types.TypeEngine[Any]:
        return sa.BigInteger()

    def parse(self, raw: Value) -> Value:
        value = row_id(whole(raw.strip() if isinstance(raw, str) else raw))
        if value is None:
            raise self.error("must be the id of a row.")
        return value


def length_mistake(max_length: object) -> str | None:
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
        return f"max_length is {max_length!r}; give a whole number of characters, at least 1."
    return None


def is_option(option: object) -> bool:
    """Text, or a (value, label) pair of texts."""
    if isinstance(option, tuple):
        return len(option) == 2 and all(isinstance(part, str) for part in option)
    return isinstance(option, str)


KINDS: dict[str, type[Field]] = {
    kind.kind: kind
    for kind in (Text, LongText, Email, Url, Integer, Money, Boolean, Date, DateTime, Choice, Reference)
}
