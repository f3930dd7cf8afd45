"""A second, awkward models.py: the kit must not work only for the example shop.

SQL keywords as entity and field names, non-ASCII labels, a self-reference,
an entity with 30 fields, and references in both directions.
"""

from kit.declare import (
    Boolean,
    Choice,
    Date,
    DateTime,
    Email,
    Entity,
    Integer,
    LongText,
    Money,
    Reference,
    Text,
    Url,
)

group = Entity(
    "group",
    Text("select", label="Sélection", required=True, unique=True),
    Reference("parent", to="group", label="Übergeordnete Gruppe"),
    Integer("order", label="Reihenfolge", default=0),
    label="Gruppe",
    plural="Gruppen",
    title="select",
    order="order",
)

order = Entity(
    "order",
    Text("from", label="Von", required=True),
    Text("where", label="Wo ☂"),
    Reference("group", required=True),
    Money("table", label="Betrag €", required=True, min=0),
    Choice("by", [("asc", "Aufsteigend"), ("desc", "Absteigend")], required=True, default="asc"),
    label="Bestellung",
    plural="Bestellungen",
    search=("from", "where"),
)

wide = Entity(
    "wide",
    Text("t1", required=True, unique=True),
    *(Text(f"t{i}") for i in range(2, 7)),
    LongText("notes", label="Notizen"),
    *(Integer(f"i{i}") for i in range(1, 5)),
    *(Money(f"m{i}") for i in range(1, 4)),
    Boolean("b1"),
    Boolean("b2", default=True),
    Date("d1"),
    Date("d2", required=True),
    DateTime("dt1"),
    DateTime("dt2"),
    Choice("c1", ["x", "y", "z"]),
    Email("e1"),
    Url("u1"),
    Reference("o", to="order"),
    Reference("g", to="group"),
    Integer("limit", label="Límite"),
    Text("index", label="Índice"),
    label="Breit",
    plural="Breite",
    columns=("t1", "i1", "m1", "b2", "d2", "o"),
)
