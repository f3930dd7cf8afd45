"""The entities of the product: one declaration each, nothing else.

Change this file and restart: tables, columns, indexes, admin screens and
forms follow.  Existing rows are kept; a removed field keeps its data.

Kinds: Text, LongText, Integer, Money, Boolean, Date, DateTime, Choice,
Email, Url, Reference.  Every field takes label=, required=, unique=,
default= and help=.  An Entity takes label=, plural=, title= (what names a
row elsewhere), key= (what seed files use to refer to a row), order=,
search=, columns= (what the list shows) and public_read=True (anyone may
read its rows through the JSON API at /api/).
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

category = Entity(
    "category",
    Text("name", required=True, unique=True),
    LongText("description"),
    plural="Categories",
    order="name",
    public_read=True,
)

product = Entity(
    "product",
    Text("name", required=True, unique=True),
    Reference("category", required=True),
    Money("price", required=True, min=0, help="Price per unit, tax included."),
    Integer("stock", default=0, min=0, help="Units on the shelf."),
    Boolean("active", default=True, help="Only active products are for sale."),
    Url("image_url", label="Image URL"),
    LongText("description"),
    order="name",
    search=("name", "description"),
    columns=("name", "category", "price", "stock", "active"),
    public_read=True,
)

customer = Entity(
    "customer",
    Email("email", required=True, unique=True),
    Text("name", required=True),
    Text("city"),
    Date("birthday"),
    Boolean("newsletter", label="Wants the newsletter", default=False),
    title="name",
    order="name",
    search=("name", "email", "city"),
    columns=("name", "email", "city", "newsletter", "created_at"),
)

order = Entity(
    "order",
    Text("number", required=True, unique=True, max_length=20, help="Printed on the invoice."),
    Reference("customer", required=True),
    Choice(
        "status",
        ["new", "paid", "shipped", "delivered", "cancelled"],
        required=True,
        default="new",
    ),
    DateTime("placed_at", label="Placed", required=True),
    Money("total", required=True, min=0),
    LongText("note"),
    order="-placed_at",
    columns=("number", "customer", "status", "placed_at", "total"),
)

order_line = Entity(
    "order_line",
    Reference("order", required=True),
    Reference("product", required=True),
    Integer("quantity", required=True, default=1, min=1),
    Money("unit_price", required=True, min=0),
    label="Order line",
    title="product",
    columns=("order", "product", "quantity", "unit_price"),
)

signup = Entity(
    "signup",
    Email("email", required=True, unique=True),
    Choice(
        "source",
        [("landing", "Landing page"), ("friend", "A friend"), ("event", "Event"), ("ad", "Ad")],
        default="landing",
    ),
    Text("comment", label="What would you use it for?"),
    label="Waitlist signup",
    columns=("email", "source", "comment", "created_at"),
    order="-created_at",
)
