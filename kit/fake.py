"""Valid made-up rows for any declared entity: for `flask seed --fake` and for tests.

Values depend only on the row number, so the same call makes the same rows,
and text of unique fields carries the number so it never repeats.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from collections.abc import Mapping, Sequence
from decimal import Decimal

from kit.fields import Field, Value
from kit.store import Repository, Row

WORDS = (
    "amber", "berg", "café", "delta", "élan", "fjord", "größe", "harbor", "iris", "jade",
    "koi", "lumen", "mañana", "nord", "opal", "piñon", "quartz", "rye", "søren", "tide",
)  # fmt: skip
START = dt.datetime(2026, 1, 1, 9, 0)


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
    if kind in ("integer", "money"):
        low = field.min if field.min is not None else 0  # type: ignore[attr-defined]
        high = field.max if field.max is not None else low + 1000  # type: ignore[attr-defined]
        number = rnd.randint(int(low), int(min(high, low + 1000)))
        if kind == "money":
            return Decimal(number) + Decimal(rnd.randint(0, 99)) / 100 if number < high else Decimal(number)
        return number
    if kind == "boolean":
        return rnd.random() < 0.5
    if kind == "date":
        return (START + dt.timedelta(days=rnd.randint(0, 600))).date()
    if kind == "datetime":
        return START + dt.timedelta(minutes=rnd.randint(0, 600 * 24 * 60))
    if kind == "choice":
        return rnd.choice(list(field.options))  # type: ignore[attr-defined]
    words = " ".join(rnd.choice(WORDS) for _ in range(3 if kind == "text" else 12))
    number = f" {n}"  # kept whole, so unique fields stay unique however short they are
    return words.capitalize()[: getattr(field, "max_length", 200) - len(number)] + number


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
        return cleaned.strftime("%Y-%m-%dT%H:%M")
    if field.kind == "boolean":
        return "y" if cleaned else ""
    if hasattr(cleaned, "isoformat"):
        return cleaned.isoformat()
    return str(cleaned)
