"""The kit's own entities: the people who log in to the admin, and their API tokens."""

from kit.fields import Boolean, Choice, Email, Reference, Text
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
    Boolean("active", default=True, help="Inactive users can't log in, and lose their API tokens."),
    Text("password_hash", max_length=500, hidden=True),
    Boolean("password_printed", hidden=True, help="The password went to the start-up log."),
    Text("session_token", max_length=100, hidden=True),
    label="User",
    title="email",
    order="email",
    columns=("email", "name", "role", "active", "created_at"),
)

TOKEN = Entity(
    "kit_token",
    Reference("user", to="kit_user", required=True, help="The token acts with this user's role."),
    Text("name", required=True, help="What uses it, e.g. 'mobile app'."),
    Text("token_hash", max_length=64, unique=True, hidden=True),
    label="API token",
    title="name",
    order="-created_at",
    columns=("name", "user", "created_at"),
)

LOGIN_FAILURE = Entity(
    "kit_login_failure",
    Text("account", required=True, help="The email typed, lower-cased."),
    Text("address", required=True, max_length=100, help="Where the attempt came from."),
    label="Failed login",
    title="account",
    order="-created_at",
    columns=("account", "address", "created_at"),
    history=False,  # a log already; its own history would grow with every guess
)
