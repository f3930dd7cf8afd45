"""Valid made-up rows for any declared entity: for `flask seed --fake` and for tests.

Values depend only on the row number, so the same call makes the same rows,
and text of unique fields carries the number so it never repeats.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import zlib
from collections.abc import Mapping, Sequence
from decimal import Decimal

from kit.fields import Field, Integer, Value
from kit.store import Repository, Row

WORDS = (
    "amber", "berg", "café", "delta", "élan", "fjord", "größe", "harbor", "iris", "jade",
    "koi", "lumen", "mañana", "nord", "opal", "piñon", "quartz", "rye", "søren", "tide",
)  # fmt: skip
START = dt.datetime(2024, 1, 1, 9, 0)
"""Made-up dates and times fall in the 600 days after this: past ones, as most a demo shows are."""


def value(
    field: Field,
    n: int,
    references: Mapping[str, Sequence[int]] | None = None,
    rnd: random.Random | None = None,
) -> Value:
    """A valid value of `field` for row number `n` (references pick from the given ids)."""
    rnd = rnd or random.Random(zlib.crc32(f"{field.entity}.{field.name}".encode()) + n)
    kind = field.kind
    if kind == "reference":
        ids = (references or {}).get(field.name) or ()
        return ids[n % len(ids)] if ids else None
    if kind == "email":
        return f"{field.name}.{n}@example.com"
    if kind == "url":
        return f"https://example.com/{field.name}/{n}"
    if isinstance(field, Integer):  # and Money
        return bounded_number(field, n, rnd)
    if kind == "boolean":
        return rnd.random() < 0.5
    if kind == "date":
        return (START + dt.timedelta(days=n if field.unique else rnd.randint(0, 600))).date()
    if kind == "datetime":
        return START + dt.timedelta(minutes=n if field.unique else rnd.randint(0, 600 * 24 * 60))
    if kind == "choice":
        return rnd.choice(list(field.options))  # type: ignore[attr-defined]
    words = " ".join(rnd.choice(WORDS) for _ in range(3 if kind == "text" else 12))
    number = f" {n}"  # kept whole, so unique fields stay unique however short they are
    return words.capitalize()[: getattr(field, "max_length", 200) - len(number)] + number


def bounded_number(field: Integer, n: int, rnd: random.Random) -> int | Decimal:
    """A number within the field's bounds; a unique field's count up from the lowest by row number."""
    if field.max is not None and field.min is None:
        low = min(0, field.max - 1000)
    else:
        low = field.min if field.min is not None else 0
    high = field.max if field.max is not None else low + 1000
    first, last = math.ceil(low), math.floor(high)
    if field.unique:
        whole = first + n  # past max, clean() refuses it and `flask seed --fake` says so
    elif first > last:
        return Decimal(low)  # money bounded within one whole amount: its lowest cent
    else:
        whole = rnd.randint(first, min(last, first + 1000))
    if field.kind != "money":
        return whole
    amount = Decimal(whole) + (0 if field.unique else Decimal(rnd.randint(0, 99)) / 100)
    return amount if amount <= high else Decimal(whole)


def row(repo: Repository, n: int, references: Mapping[str, Sequence[int]] | None = None) -> Row:
    """A valid row of `repo` for row number `n`; optional fields are sometimes left empty."""
    made: Row = {}
    rnd = random.Random(zlib.crc32(repo.name.encode()) * 1_000_003 + n)
    for field in repo.entity.fields.values():
        if field.hidden:
            continue
        if not field.required and not field.unique and (n + len(field.name)) % 5 == 0:
            made[field.name] = None
            continue
        made[field.name] = value(field, n, references, rnd)
    return made


def form_value(field: Field, cleaned: Value) -> str:
    """How a person types `cleaned` into the admin form of `field`."""
    if cleaned is None:
        return ""
    if field.kind == "datetime":
        return cleaned.isoformat(timespec="minutes")
    if field.kind == "boolean":
        return "y" if cleaned else ""
    if hasattr(cleaned, "isoformat"):
        return cleaned.isoformat()
    return str(cleaned)
