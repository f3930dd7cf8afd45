"""Rules for every field kind: what `clean` accepts, what it refuses and in which words.

Pure unit tests: no app, no database.  Raw values are what forms, CSV seed files
and query strings hand over (strings) as well as native Python values.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kit.fields import (
    KINDS,
    Boolean,
    Choice,
    Date,
    DateTime,
    Email,
    Field,
    FieldError,
    Integer,
    LongText,
    Money,
    Reference,
    Text,
    Url,
)


def refusal(field: Field, raw: object) -> str:
    """The sentence `field` refuses `raw` with."""
    with pytest.raises(FieldError) as info:
        field.clean(raw)
    return str(info.value)


# --- Every kind ---------------------------------------------------------------------------

REQUIRED = [
    pytest.param(Text("city", label="Straße", required=True), "Straße", id="text"),
    pytest.param(LongText("notes", label="Notizen", required=True), "Notizen", id="longtext"),
    pytest.param(Email("email", required=True), "Email", id="email"),
    pytest.param(Url("image_url", label="Image URL", required=True), "Image URL", id="url"),
    pytest.param(Integer("stock", required=True), "Stock", id="integer"),
    pytest.param(Money("table", label="Betrag €", required=True), "Betrag €", id="money"),
    pytest.param(Date("birthday", required=True), "Birthday", id="date"),
    pytest.param(DateTime("placed_at", label="Placed", required=True), "Placed", id="datetime"),
    pytest.param(Choice("status", ["new", "paid"], required=True), "Status", id="choice"),
    pytest.param(Reference("customer", required=True), "Customer", id="reference"),
]
OPTIONAL = [
    Text("city"),
    LongText("notes"),
    Email("email"),
    Url("link"),
    Integer("stock"),
    Money("price"),
    Date("birthday"),
    DateTime("placed_at"),
    Choice("status", ["new", "paid"]),
    Reference("customer"),
]
EMPTY = [None, "", "   ", "\t\r\n"]


def test_every_kind_is_registered() -> None:
    assert set(KINDS) == {
        "text",
        "longtext",
        "email",
        "url",
        "integer",
        "money",
        "boolean",
        "date",
        "datetime",
        "choice",
        "reference",
    }


def test_every_kind_has_a_required_rule() -> None:
    """Booleans aside (an unticked box is "no"), a new kind needs a row in REQUIRED."""
    covered = {type(param.values[0]) for param in REQUIRED}
    assert covered == set(KINDS.values()) - {Boolean}


@pytest.mark.parametrize("raw", EMPTY)
@pytest.mark.parametrize(("field", "label"), REQUIRED)
def test_required_empty_value_is_refused(field: Field, label: str, raw: object) -> None:
    assert refusal(field, raw) == f"{label} is required."


@pytest.mark.parametrize("raw", [None, ""])
@pytest.mark.parametrize("field", OPTIONAL, ids=lambda field: field.kind)
def test_optional_empty_value_is_none(field: Field, raw: object) -> None:
    assert field.clean(raw) is None


@pytest.mark.parametrize("field", [*OPTIONAL, Boolean("active")], ids=lambda field: field.kind)
def test_none_round_trips_through_the_database(field: Field) -> None:
    assert field.from_db(field.to_db(None)) is None


def test_label_defaults_to_the_name_in_words() -> None:
    assert Text("image_url").label == "Image url"
    assert Text("image_url", label="Image URL").label == "Image URL"


# --- Text and LongText --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("B€rkeley", "B€rkeley"),
        ("  Zoë Dupré \t", "Zoë Dupré"),
        ("SELECT * FROM order; --", "SELECT * FROM order; --"),
    ],
)
def test_text_is_kept_as_written_without_outer_spaces(raw: str, value: str) -> None:
    assert Text("name").clean(raw) == value


def test_text_max_length_counts_characters_not_bytes() -> None:
    field = Text("name", max_length=5)
    assert field.clean("ééééé") == "ééééé"
    assert refusal(field, "éééééé") == "Name must be at most 5 characters."


def test_text_default_max_length_is_200() -> None:
    field = Text("name")
    assert field.clean("ü" * 200) == "ü" * 200
    assert refusal(field, "ü" * 201) == "Name must be at most 200 characters."


@pytest.mark.parametrize("raw", [42, Decimal("1.5"), True, ["Zoë"]])
def test_text_refuses_values_that_are_not_text(raw: object) -> None:
    assert refusal(Text("name"), raw) == "Name must be text."


def test_longtext_normalises_windows_line_ends() -> None:
    raw = "Erste Zeile\r\nZweite Zeile ☂\r\n\r\nDritte"
    assert LongText("notes").clean(raw) == "Erste Zeile\nZweite Zeile ☂\n\nDritte"


def test_longtext_max_length_applies_after_normalising() -> None:
    field = LongText("notes", label="Notizen", max_length=3)
    assert field.clean("ä\r\nö") == "ä\nö"
    assert refusal(field, "ä\r\nöü") == "Notizen must be at most 3 characters."


def test_longtext_refuses_values_that_are_not_text() -> None:
    assert refusal(LongText("notes", label="Notizen"), 12) == "Notizen must be text."


# --- Email and Url ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("Zoë@Example.COM", "zoë@example.com"),
        ("  ANNA.Müller+shop@b€rkeley.de ", "anna.müller+shop@b€rkeley.de"),
        ("a@b.co", "a@b.co"),
    ],
)
def test_email_is_lower_cased(raw: str, value: str) -> None:
    assert Email("email").clean(raw) == value


@pytest.mark.parametrize(
    "raw", ["zoë", "zoë@example", "@example.com", "zoë@@example.com", "zoë dupré@example.com"]
)
def test_email_must_look_like_an_address(raw: str) -> None:
    assert refusal(Email("email"), raw) == "Email must be an email address like name@example.com."


@pytest.mark.parametrize(
    "raw",
    ["https://example.com", "http://b€rkeley.example/ünï?q=1#top", "HTTPS://EXAMPLE.COM/A"],
)
def test_url_accepts_http_and_https(raw: str) -> None:
    assert Url("image_url").clean(f"  {raw} ") == raw


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.com/file",
        "example.com",
        "//example.com",
        "http://",
        "https:// example.com",
    ],
)
def test_url_refuses_anything_but_http_and_https(raw: str) -> None:
    assert refusal(Url("image_url", label="Image URL"), raw) == (
        "Image URL must be a web address starting with http:// or https://."
    )


# --- Integer ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("42", 42),
        (" 42 ", 42),
        ("-7", -7),
        ("+5", 5),
        ("1,234", 1234),
        ("1,234,567", 1_234_567),
        ("1_000", 1000),
        (42, 42),
        (Decimal("12"), 12),
        (4.0, 4),  # JSON's 4.0 and 1e2 are whole numbers, as JSON Schema's "integer" says
        (Decimal("1E+2"), 100),
    ],
)
def test_integer_reads_form_and_csv_text(raw: object, value: int) -> None:
    assert Integer("stock").clean(raw) == value


@pytest.mark.parametrize(
    "raw",
    [
        "4.5",
        "zwölf",
        "1e3",
        "١٢",
        4.5,
        Decimal("2.5"),
        float("inf"),
        True,
        False,
        "1,5",
    ],
)
def test_integer_refuses_what_is_not_a_whole_number(raw: object) -> None:
    assert refusal(Integer("stock"), raw) == "Stock must be a whole number."


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("0", "Quantity must be at least 1."),
        ("-3", "Quantity must be at least 1."),
        ("100", "Quantity must be at most 99."),
        ("1,000", "Quantity must be at most 99."),
    ],
)
def test_integer_bounds_are_told_in_the_message(raw: str, message: str) -> None:
    assert refusal(Integer("quantity", min=1, max=99), raw) == message


@pytest.mark.parametrize("raw", ["1", "99"])
def test_integer_bounds_are_inclusive(raw: str) -> None:
    assert Integer("quantity", min=1, max=99).clean(raw) == int(raw)


def test_integer_refuses_what_a_column_cannot_hold() -> None:
    limit = 2**63 // 100
    assert Integer("stock").clean(limit - 1) == limit - 1
    assert refusal(Integer("stock"), limit) == "Stock is too large."
    assert refusal(Integer("stock"), str(-limit)) == "Stock is too large."


# --- Money --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("12.5", "12.50"),
        ("12", "12.00"),
        (" 3.10 ", "3.10"),
        ("0.1", "0.10"),
        ("1,234.56", "1234.56"),
        ("1_000", "1000.00"),
        ("€9.99", "9.99"),
        ("$9.99", "9.99"),
        ("£9.99", "9.99"),
        ("12.500", "12.50"),
        ("-4.2", "-4.20"),
        (12, "12.00"),
        (Decimal("0.3"), "0.30"),
    ],
)
def test_money_reads_form_and_csv_text_as_a_decimal_with_two_places(raw: object, value: str) -> None:
    cleaned = Money("price").clean(raw)
    assert isinstance(cleaned, Decimal)
    assert str(cleaned) == value


@pytest.mark.parametrize(
    "raw",
    [
        12.5,
        0.1,
        True,
        "zwölf",
        "12.50 €",
        "NaN",
        "Infinity",
        "-$5",
        "12,50",
        "1e3",
        "١٢",
        "0x10",
    ],
)
def test_money_refuses_floats_and_what_is_not_an_amount(raw: object) -> None:
    assert refusal(Money("price"), raw) == "Price must be an amount like 12.50."


@pytest.mark.parametrize("raw", ["12.345", "0.001", Decimal("9.999")])
def test_money_refuses_more_than_two_decimals(raw: object) -> None:
    assert refusal(Money("price"), raw) == "Price can have at most two decimals."


def test_money_is_exact() -> None:
    price = Money("price")
    assert 0.1 + 0.2 != 0.3
    assert price.clean("0.1") + price.clean("0.2") == Decimal("0.30")
    assert sum(price.clean("0.01") for _ in range(100)) == Decimal("1.00")


def test_money_sums_exactly_in_cents() -> None:
    price = Money("price")
    cents = sum(price.to_db(price.clean(raw)) for raw in ["0.1", "0.2", "19.99"])
    assert price.from_db(cents) == Decimal("20.29")


@pytest.mark.parametrize(
    ("value", "cents"),
    [
        ("0.00", 0),
        ("0.01", 1),
        ("12.50", 1250),
        ("-12.50", -1250),
        ("1234567.89", 123456789),
        ("92233720368547757.99", 9223372036854775799),
        ("-92233720368547757.99", -9223372036854775799),
    ],
)
def test_money_is_stored_as_whole_cents(value: str, cents: int) -> None:
    price = Money("price")
    stored = price.to_db(price.clean(value))
    assert type(stored) is int
    assert stored == cents
    assert str(price.from_db(stored)) == value


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        (Money("price", min=0), "-0.01", "Price must be at least 0.00."),
        (Money("price", max=Decimal("1000")), "1000.01", "Price must be at most 1,000.00."),
        (Money("table", label="Betrag €", min=1), "0.99", "Betrag € must be at least 1.00."),
    ],
)
def test_money_bounds_are_told_as_amounts(field: Money, raw: str, message: str) -> None:
    assert refusal(field, raw) == message


def test_money_refuses_amounts_beyond_what_cents_can_hold() -> None:
    assert refusal(Money("price"), "92233720368547758") == "Price is too large."


@pytest.mark.parametrize("raw", ["123456789012345678901234567", "9" * 400])
def test_money_refuses_absurdly_large_amounts_with_a_sentence(raw: str) -> None:
    assert refusal(Money("price"), raw) == "Price is too large."


def test_money_is_shown_with_thousands_and_two_decimals() -> None:
    price = Money("price")
    assert price.format(price.clean("1234567.5")) == "1,234,567.50"
    assert price.format(None) == ""


# --- Boolean ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("true", True),
        ("True", True),
        ("YES", True),
        ("y", True),
        ("1", True),
        ("on", True),
        ("false", False),
        ("FALSE", False),
        ("no", False),
        ("n", False),
        ("0", False),
        ("off", False),
        (" Yes ", True),
        (" no ", False),
        (True, True),
        (False, False),
        (1, True),
        (0, False),
    ],
)
def test_boolean_reads_words(raw: object, value: bool) -> None:
    assert Boolean("active").clean(raw) is value


def test_boolean_false_is_false_never_is_set() -> None:
    assert Boolean("active").clean("false") is False


@pytest.mark.parametrize("raw", ["maybe", "ja", "nein", "2", "-1", "truthy", "wahr ✓", 2])
def test_boolean_refuses_unknown_words(raw: object) -> None:
    assert refusal(Boolean("newsletter", label="Wants the newsletter"), raw) == (
        "Wants the newsletter must be yes or no."
    )


@pytest.mark.parametrize("raw", [None, ""])
@pytest.mark.parametrize("required", [True, False])
def test_boolean_left_empty_is_no(raw: object, required: bool) -> None:
    """An unticked box sends nothing: that is "no", never "missing"."""
    assert Boolean("active", required=required).clean(raw) is False


def test_blank_boolean_counts_as_empty_like_every_kind() -> None:
    assert Boolean("active").clean("   ") is False


def test_boolean_defaults_to_no() -> None:
    assert Boolean("active").initial() is False
    assert Boolean("active", default=True).initial() is True


@pytest.mark.parametrize(("stored", "value"), [(1, True), (0, False), (True, True)])
def test_boolean_from_the_database_is_a_bool(stored: object, value: bool) -> None:
    assert Boolean("active").from_db(stored) is value


def test_boolean_is_shown_as_yes_or_no() -> None:
    field = Boolean("active")
    assert [field.format(v) for v in (True, False, None)] == ["yes", "no", ""]


# --- Date and DateTime --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("2026-11-26", dt.date(2026, 11, 26)),
        (" 2028-02-29 ", dt.date(2028, 2, 29)),
        (dt.date(2026, 11, 26), dt.date(2026, 11, 26)),
        (dt.datetime(2026, 11, 26, 23, 59), dt.date(2026, 11, 26)),
    ],
)
def test_date_reads_iso_dates(raw: object, value: dt.date) -> None:
    cleaned = Date("birthday").clean(raw)
    assert type(cleaned) is dt.date
    assert cleaned == value


@pytest.mark.parametrize(
    "raw",
    ["26.11.2026", "11/26/2026", "morgen", 2026],
)
def test_date_refuses_what_is_not_a_date(raw: object) -> None:
    assert refusal(Date("birthday", label="Geburtstag"), raw) == (
        "Geburtstag must be a date like 2026-11-26."
    )


def test_date_is_shown_in_iso_form() -> None:
    assert Date("birthday").format(dt.date(2026, 1, 2)) == "2026-01-02"


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("2026-11-26 14:30", dt.datetime(2026, 11, 26, 14, 30)),
        ("2026-11-26T14:30:15", dt.datetime(2026, 11, 26, 14, 30, 15)),
        ("2026-11-26T14:30:15.987654", dt.datetime(2026, 11, 26, 14, 30, 15)),
        ("2026-11-26", dt.datetime(2026, 11, 26, 0, 0)),
        (dt.date(2026, 11, 26), dt.datetime(2026, 11, 26, 0, 0)),
    ],
)
def test_datetime_reads_iso_moments(raw: object, value: dt.datetime) -> None:
    assert DateTime("placed_at").clean(raw) == value


@pytest.mark.parametrize(
    "raw",
    [
        "2026-11-26T14:30:00Z",
        "2026-11-26T14:30:00+00:00",
        "2026-11-26T15:30:00+01:00",
        "2026-11-26T09:30-05:00",
        dt.datetime(2026, 11, 26, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=9))),
    ],
)
def test_aware_datetime_is_stored_as_naive_utc(raw: object) -> None:
    cleaned = DateTime("placed_at").clean(raw)
    assert cleaned.tzinfo is None
    assert cleaned == dt.datetime(2026, 11, 26, 14, 30)


def test_datetime_converted_to_utc_may_change_the_day() -> None:
    cleaned = DateTime("placed_at").clean("2026-11-27T00:30+01:00")
    assert cleaned == dt.datetime(2026, 11, 26, 23, 30)


@pytest.mark.parametrize(
    "raw",
    [
        "2026-11-26 25:00",
        "14:30",
        "gestern um 14 Uhr",
        "0001-01-01T00:30+01:00",
    ],
)
def test_datetime_refuses_what_is_not_a_moment(raw: str) -> None:
    assert refusal(DateTime("placed_at", label="Placed"), raw) == (
        "Placed must be a date and time like 2026-11-26 14:30."
    )


def test_datetime_is_shown_to_the_minute() -> None:
    assert DateTime("placed_at").format(dt.datetime(2026, 11, 26, 14, 30, 59)) == ("2026-11-26 14:30")


# --- Choice -------------------------------------------------------------------------------

STATUS = ["new", "paid", "in_progress"]
SOURCE = [("landing", "Landing page"), ("friend", "A friend"), ("gross", "Größe ☂")]


@pytest.mark.parametrize(
    ("options", "raw", "value"),
    [
        (STATUS, "paid", "paid"),
        (STATUS, " paid ", "paid"),
        (STATUS, "Paid", "paid"),
        (STATUS, "PAID", "paid"),
        (STATUS, "In progress", "in_progress"),
        (SOURCE, "landing", "landing"),
        (SOURCE, "Landing page", "landing"),
        (SOURCE, "landing PAGE", "landing"),
        (SOURCE, "a friend", "friend"),
        (SOURCE, "GRÖẞE ☂", "gross"),
        pytest.param(SOURCE, "GRÖSSE ☂", "gross"),
    ],
)
def test_choice_takes_the_value_or_the_label_in_any_case(options: list, raw: str, value: str) -> None:
    assert Choice("status", options).clean(raw) == value


@pytest.mark.parametrize(
    ("options", "raw", "message"),
    [
        (STATUS, "refunded", "Status must be one of: new, paid, in_progress."),
        (STATUS, "in progress!", "Status must be one of: new, paid, in_progress."),
        (SOURCE, "Newsletter", "Status must be one of: landing, friend, gross."),
    ],
)
def test_choice_refuses_unknown_options_listing_them(options: list, raw: str, message: str) -> None:
    assert refusal(Choice("status", options), raw) == message


def test_choice_is_shown_by_its_label() -> None:
    assert Choice("status", STATUS).format("in_progress") == "In progress"
    assert Choice("source", SOURCE).format("gross") == "Größe ☂"


# --- Reference ----------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "value"), [("42", 42), (" 7 ", 7), (42, 42), (2**40, 2**40)])
def test_reference_is_a_positive_row_id(raw: object, value: int) -> None:
    assert Reference("customer").clean(raw) == value


@pytest.mark.parametrize(
    "raw",
    [
        0,
        -1,
        "0",
        "-5",
        "abc",
        "1.5",
        "Zoë",
        True,
        False,
        [1],
        2.9,
        Decimal("2.5"),
    ],
)
def test_reference_refuses_what_is_not_a_row_id(raw: object) -> None:
    field = Reference("group", label="Übergeordnete Gruppe")
    assert refusal(field, raw) == "Übergeordnete Gruppe must be the id of a row."


def test_reference_points_to_the_entity_named_after_it_unless_told() -> None:
    assert Reference("customer").to == "customer"
    assert Reference("parent", to="group").to == "group"


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        (Date("birthday"), "2026-02-30"),
        (Date("birthday"), "2027-02-29"),
        (Date("birthday"), "2026-13-01"),
        (DateTime("placed_at", label="Placed"), "2026-02-30 10:00"),
        (DateTime("placed_at", label="Placed"), "2026-13-01T10:00Z"),
    ],
)
def test_a_date_the_calendar_lacks_is_told_as_such(field: Field, raw: str) -> None:
    assert refusal(field, raw) == f"{field.label} must be a day of the calendar: there is no {raw[:10]}."
