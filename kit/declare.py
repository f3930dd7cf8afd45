"""Everything models.py needs to declare entities, in one import."""

from kit.fields import (
    Boolean,
    Choice,
    Date,
    DateTime,
    Email,
    Integer,
    LongText,
    Money,
    Reference,
    Text,
    Url,
)
from kit.schema import Entity

__all__ = [
    "Boolean",
    "Choice",
    "Date",
    "DateTime",
    "Email",
    "Entity",
    "Integer",
    "LongText",
    "Money",
    "Reference",
    "Text",
    "Url",
]
