"""The kit's own entity: the people who log in to the admin."""

from kit.fields import Boolean, Choice, Email, Text
from kit.schema import Entity

ROLES = (
    ("admin", "Admin: everything, users included"),
    ("editor", "Editor: changes data, not users"),
    ("viewer", "Viewer: reads everything, changes nothing"),
)

USER = Entity(
    "kit_user",
    Email("email", required=True, unique=True),
    Text("name"),
    Choice("role", ROLES, required=True, default="viewer"),
    Boolean("active", default=True, help="Inactive users can't log in."),
    Text("password_hash", max_length=500, hidden=True),
    Text("session_token", max_length=100, hidden=True),
    label="User",
    title="email",
    order="email",
    columns=("email", "name", "role", "active", "created_at"),
)
