"""The benchmark's entity: eight fields of the common kinds, as a real product has."""

from kit.declare import Boolean, Choice, Date, Email, Entity, Integer, Money, Text

item = Entity(
    "item",
    Text("name", required=True),
    Text("sku", required=True, unique=True, max_length=40),
    Money("price", required=True, min=0),
    Integer("stock", default=0, min=0),
    Boolean("active", default=True),
    Date("released"),
    Choice("status", ["draft", "live", "retired"], default="draft"),
    Email("contact"),
    order="-id",
    search=("name", "sku"),
    columns=("name", "sku", "price", "stock", "status", "released"),
)
