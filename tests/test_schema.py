"""Rules for declaring entities: a good models.py loads, a mistake stops start-up in one sentence.

Entities are built inside each test: fields are bound to their entity when a
Schema checks it, so sharing declarations between tests would couple them.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest

import models
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
from kit.schema import FORM_NAMES, KIT_PATHS, DeclarationError, Entity, Schema
from tests import unusual_models

MODEL_SETS = {"shop": models, "unusual": unusual_models}


def refusal(*entities: Entity, builtins: tuple[Entity, ...] = ()) -> str:
    """The sentence a Schema of `entities` is refused with."""
    with pytest.raises(DeclarationError) as info:
        Schema(entities, builtins)
    return str(info.value)


def names(entities) -> list[str]:
    return [entity.name for entity in entities]


# --- A good schema ------------------------------------------------------------------------


@pytest.mark.parametrize("module", MODEL_SETS.values(), ids=MODEL_SETS.keys())
def test_models_load_in_the_order_written(module: ModuleType) -> None:
    written = [value.name for value in vars(module).values() if isinstance(value, Entity)]
    assert names(Schema.from_module(module)) == written


def test_example_models_declare_the_shop() -> None:
    schema = Schema.from_module(models)
    assert names(schema) == ["category", "product", "customer", "order", "order_line", "signup"]
    assert list(schema["product"].fields) == [
        "name",
        "category",
        "price",
        "stock",
        "active",
        "image_url",
        "description",
    ]


@pytest.mark.parametrize("module", MODEL_SETS.values(), ids=MODEL_SETS.keys())
def test_every_field_is_bound_to_its_entity(module: ModuleType) -> None:
    for entity in Schema.from_module(module):
        assert {field.entity for field in entity.fields.values()} == {entity.name}


def test_schema_can_be_built_twice_from_the_same_declarations() -> None:
    customer = Entity("customer", Text("name"), Email("email"))
    order = Entity("order", Reference("customer"), Money("total"))
    Schema([customer, order])
    again = Schema([customer, order])
    assert list(again["customer"].fields) == ["name", "email"]
    assert names(again.load_order()) == ["customer", "order"]


@pytest.mark.parametrize("module", MODEL_SETS.values(), ids=MODEL_SETS.keys())
def test_models_module_can_be_loaded_twice(module: ModuleType) -> None:
    first = {e.name: list(e.fields) for e in Schema.from_module(module)}
    second = {e.name: list(e.fields) for e in Schema.from_module(module)}
    assert second == first


def test_schema_looks_up_entities_by_name() -> None:
    schema = Schema([Entity("kunde", Text("name", label="Straße"))])
    assert "kunde" in schema
    assert "customer" not in schema
    assert schema["kunde"].fields["name"].label == "Straße"


def test_builtin_entities_may_use_the_kit_prefix_and_are_not_declared() -> None:
    note = Entity("kit_note", Text("body"))
    schema = Schema([Entity("customer", Text("name"))], builtins=[note])
    assert names(schema) == ["customer", "kit_note"]
    assert names(schema.declared) == ["customer"]


def test_a_reference_may_point_to_a_builtin_entity() -> None:
    note = Entity("kit_note", Text("body"))
    task = Entity("task", Reference("owner", to="kit_note"))
    schema = Schema([task], builtins=[note])
    assert names(schema.load_order()) == ["kit_note", "task"]


def test_choice_options_may_be_a_dict_of_value_and_label() -> None:
    status = Choice("status", {"draft": "Brouillon", "on_sale": "En vente"}, default="DRAFT")
    assert status.options == {"draft": "Brouillon", "on_sale": "En vente"}
    assert [status.clean(raw) for raw in ("DRAFT", "en vente", "on_sale")] == ["draft", "on_sale", "on_sale"]
    assert Schema([Entity("event", status)]).declared


def test_a_reference_may_name_its_entity_or_be_given_it() -> None:
    venue = Entity("venue", Text("name"))
    gig = Entity("gig", Reference("venue", to=venue), Reference("support", to="venue"))
    assert [ref.to for ref in Schema([venue, gig]).entities["gig"].references] == ["venue", "venue"]


# --- Declaration mistakes -----------------------------------------------------------------

MISTAKES: list = [
    pytest.param(
        lambda: [Entity("customer", Text("name"), "email")],
        "Entity 'customer': 'email' is not a field kind; use Text, Integer, Money, ...",
        id="string-instead-of-field",
    ),
    pytest.param(
        lambda: [Entity("customer", Text("name"), {"email": str})],
        "Entity 'customer': {'email': <class 'str'>} is not a field kind; use Text, Integer, Money, ...",
        id="dict-instead-of-field",
    ),
    pytest.param(
        lambda: [Entity("order", Text("number"), Reference("customer"))],
        "Entity 'order', field 'customer': there is no entity 'customer' to refer to.",
        id="reference-to-missing-entity",
    ),
    pytest.param(
        lambda: [Entity("customer"), Entity("order", Reference("buyer", to="kunde"))],
        "Entity 'order', field 'buyer': there is no entity 'kunde' to refer to.",
        id="reference-with-to-missing-entity",
    ),
    pytest.param(
        lambda: [Entity("customer", Text("name"), Email("email"), Text("name", label="Nom"))],
        "Entity 'customer', field 'name': declared twice.",
        id="duplicate-field",
    ),
    pytest.param(
        lambda: [Entity("customer", Text("name")), Entity("customer", Email("email"))],
        "Entity 'customer' is declared twice.",
        id="duplicate-entity",
    ),
    pytest.param(
        lambda: [Entity("customer", Integer("id"))],
        "Entity 'customer', field 'id': 'id' is managed by the kit.",
        id="managed-id",
    ),
    pytest.param(
        lambda: [Entity("customer", Text("name"), DateTime("created_at"))],
        "Entity 'customer', field 'created_at': 'created_at' is managed by the kit.",
        id="managed-created_at",
    ),
    pytest.param(
        lambda: [Entity("customer", Text("name"), DateTime("updated_at"))],
        "Entity 'customer', field 'updated_at': 'updated_at' is managed by the kit.",
        id="managed-updated_at",
    ),
    pytest.param(
        lambda: [Entity("kit_note", Text("body"))],
        "Entity 'kit_note': the prefix 'kit_' is reserved for the kit.",
        id="kit-prefix",
    ),
    pytest.param(
        lambda: [Entity("customer", Text("name"), search=("name", "nmae"))],
        "Entity 'customer', search: there is no field 'nmae'.",
        id="search-missing-field",
    ),
    pytest.param(
        lambda: [Entity("customer", Text("name"), columns=("name", "city"))],
        "Entity 'customer', columns: there is no field 'city'.",
        id="columns-missing-field",
    ),
    pytest.param(
        lambda: [Entity("customer", Email("email"), title="name")],
        "Entity 'customer', title: there is no field 'name'.",
        id="title-missing-field",
    ),
    pytest.param(
        lambda: [Entity("customer", Email("email"), key="e_mail")],
        "Entity 'customer', key: there is no field 'e_mail'.",
        id="key-missing-field",
    ),
    pytest.param(
        lambda: [Entity("order", Date("placed_on"), order="-placed_at")],
        "Entity 'order', order: there is no field 'placed_at'.",
        id="order-missing-field",
    ),
    pytest.param(
        lambda: [Entity("customer", Text("name"), order="")],
        "Entity 'customer', order: there is no field ''.",
        id="order-empty",
    ),
]


MISTAKES += [
    pytest.param(
        lambda: [Entity("x", Choice("n", [1, 2, 3]))],
        "Entity 'x', field 'n': 1 is not an option; give a list of text or of (value, label) pairs, "
        "or a dict of value: label.",
        id="choice-of-numbers",
    ),
    pytest.param(
        lambda: [Entity("x", Choice("status", "draft,on_sale"))],
        "Entity 'x', field 'status': 'draft,on_sale' is not an option; give a list of text or of "
        "(value, label) pairs, or a dict of value: label.",
        id="choice-of-one-string",
    ),
    pytest.param(
        lambda: [Entity("x", Text("name", label=5))],
        "Entity 'x', field 'name': its label and help must be text.",
        id="label-not-text",
    ),
    pytest.param(
        lambda: [Entity("x", Text("h", hidden=True, required=True))],
        "Entity 'x', field 'h': a hidden field that is required needs a default: no form or API call can "
        "fill it.",
        id="hidden-and-required",
    ),
    pytest.param(
        lambda: [Entity("x", Integer("rank", unique=True, default=0))],
        "Entity 'x', field 'rank': a unique field with a default gives every row saved without a value the "
        "same one.",
        id="unique-with-default",
    ),
    pytest.param(
        lambda: [Entity("x", Choice("c", {"x ": "X", "y": "Y"}))],
        "Entity 'x', field 'c': the option 'x ' can't be chosen: an option needs text without spaces "
        "around it.",
        id="option-with-spaces",
    ),
    pytest.param(
        lambda: [Entity("x", Choice("c", ["a", "A"]))],
        "Entity 'x', field 'c': the options 'a' and 'A' differ only in case, and are read alike.",
        id="options-alike",
    ),
    pytest.param(
        lambda: [Entity("venue", Text("city", requird=True))],
        "Entity 'venue', field 'city': 'requird' is not an option of Text; did you mean 'required'?",
        id="misspelt-option",
    ),
    pytest.param(
        lambda: [Entity("gig", Reference("venue", too="venue"))],
        "Entity 'gig', field 'venue': 'too' is not an option of Reference; did you mean 'to'?",
        id="misspelt-reference-option",
    ),
    pytest.param(
        lambda: [Entity("x", Integer("n", colour="red"))],
        "Entity 'x', field 'n': 'colour' is not an option of Integer; it takes min, max, label, required, "
        "unique, default, help, hidden.",
        id="unknown-option",
    ),
    pytest.param(
        lambda: [Entity("x", Integer("n", min=10, max=1))],
        "Entity 'x', field 'n': min 10 is above max 1.",
        id="min-above-max",
    ),
    pytest.param(
        lambda: [Entity("x", Money("price", min="abc"))],
        "Entity 'x', field 'price': min 'abc' is refused: Price must be an amount like 12.50.",
        id="money-bound-not-an-amount",
    ),
    pytest.param(
        lambda: [Entity("x", Integer("n", default="abc"))],
        "Entity 'x', field 'n': its default 'abc' is refused: N must be a whole number.",
        id="default-of-another-kind",
    ),
    pytest.param(
        lambda: [Entity("x", Choice("c", ["a"], default="z"))],
        "Entity 'x', field 'c': its default 'z' is refused: C must be one of: a.",
        id="default-not-an-option",
    ),
    pytest.param(
        lambda: [Entity("x", Text("t", max_length=0))],
        "Entity 'x', field 't': max_length is 0; give a whole number of characters, at least 1.",
        id="no-room-for-text",
    ),
    pytest.param(
        lambda: [Entity("node", Reference("parent", to="node", required=True))],
        "Entity 'node', field 'parent': a required reference to its own entity leaves the first row "
        "nothing to refer to.",
        id="required-self-reference",
    ),
    pytest.param(
        lambda: [Entity("x", Text("a"), Text("a__contains"))],
        "Entity 'x', field 'a__contains': '__' in a name would read as a filter (price__gte).",
        id="double-underscore",
    ),
    pytest.param(
        lambda: [Entity("x", Text("name"), Integer("n"), search=("name", "n"))],
        "Entity 'x', search: 'n' is an integer field, which can't be searched.",
        id="search-a-number",
    ),
    pytest.param(
        lambda: [Entity("x", Text("name"), search=("id",))],
        "Entity 'x', search: 'id' is one of the kit's own columns, which can't be searched.",
        id="search-the-id",
    ),
    pytest.param(
        lambda: [Entity("x", Text("name"), LongText("body"), order="body")],
        "Entity 'x', order: 'body' is a longtext field, which can't be sorted.",
        id="order-by-long-text",
    ),
    pytest.param(
        lambda: [
            Entity("a", Reference("b"), title="b"),
            Entity("b", Reference("a"), title="a"),
        ],
        "Entity 'a', title: rows would borrow their titles in a circle (a -> b -> a).",
        id="titles-in-a-circle",
    ),
    *(
        pytest.param(
            lambda name=name: [Entity("x", Text(name))],
            f"Entity 'x', field '{name}': the admin's forms use '{name}' themselves.",
            id=f"form-{name}",
        )
        for name in FORM_NAMES
    ),
    *(
        pytest.param(
            lambda name=name: [Entity(name, Text("name"))],
            f"Entity '{name}': the name is taken by the kit's own /{name} pages.",
            id=f"kit-path-{name}",
        )
        for name in KIT_PATHS
    ),
]


MISTAKES += [  # options of the wrong type: a sentence at start-up, not a TypeError or a silent surprise
    pytest.param(
        lambda: [Entity("x", Text("t"), plurals="Xs")],
        "Entity 'x': 'plurals' is not an option of Entity; did you mean 'plural'?",
        id="entity-option-misspelt",
    ),
    pytest.param(
        lambda: [Entity("x", Text("t"), label=5)],
        "Entity 'x': label is 5; give text.",
        id="label-5",
    ),
    pytest.param(
        lambda: [Entity("x", Text("t"), order=5)],
        "Entity 'x': order is 5; give a field's name, with '-' before it for the reverse order.",
        id="order-5",
    ),
    pytest.param(
        lambda: [Entity("x", Text("t"), search="t")],
        "Entity 'x': search is 't'; give a list of field names: search=['t'].",
        id="search-one-string",
    ),
    pytest.param(
        lambda: [Entity("x", Text("t"), columns=5)],
        "Entity 'x': columns is 5; give a list of field names.",
        id="columns-5",
    ),
    pytest.param(
        lambda: [Entity("x", Text("t"), public_read="no")],
        "Entity 'x': public_read is 'no'; give True or False.",
        id="public-read-word",
    ),
    pytest.param(
        lambda: [Entity("x", Text("t"), history=0)],
        "Entity 'x': history is 0; give True or False.",
        id="history-0",
    ),
    pytest.param(
        lambda: [Entity("x", Text("t", unique="yes"))],
        "Entity 'x', field 't': unique is 'yes'; give True or False.",
        id="unique-word",
    ),
    pytest.param(
        lambda: [Entity("x", Boolean("b", required=True))],
        "Entity 'x', field 'b': a boolean always has a value (an unticked box is no); "
        "leave out required=True.",
        id="boolean-required",
    ),
    pytest.param(
        lambda: [Entity("x", Choice("c"))],
        "Entity 'x', field 'c': a choice needs at least one option.",
        id="choice-without-options",
    ),
]


@pytest.mark.parametrize(("declare", "message"), MISTAKES)
def test_declaration_mistake_is_one_sentence_naming_entity_and_field(
    declare: Callable[[], list[Entity]], message: str
) -> None:
    assert refusal(*declare()) == message


@pytest.mark.parametrize(
    "name",
    [
        "Customer",
        "CUSTOMER",
        "order line",
        "2nd_customer",
        "_customer",
        "order-line",
        "kündin",
        "",
        "a" * 64,
        "customer\n",
    ],
)
def test_entity_name_must_be_lower_case_letters_digits_and_underscores(name: str) -> None:
    assert refusal(Entity(name, Text("title"), label="Kundin")) == (
        f"Entity '{name}': names are lower-case letters, digits and underscores."
    )


@pytest.mark.parametrize(
    "name",
    [
        "Name",
        "first name",
        "1st_name",
        "_name",
        "e-mail",
        "straße",
        "a" * 64,
        "name\n",
    ],
)
def test_field_name_must_be_lower_case_letters_digits_and_underscores(name: str) -> None:
    assert refusal(Entity("customer", Text(name, label="Name"))) == (
        f"Entity 'customer', field '{name}': names are lower-case letters, digits and underscores."
    )


def test_the_reserved_field_names_cover_every_name_the_admin_form_uses() -> None:
    from kit.admin import AdminForm

    public = {name for name in dir(AdminForm) if not name.startswith("_")}
    assert public - set(FORM_NAMES) == {"Meta"}  # not a valid field name anyway


def test_the_reserved_entity_names_cover_the_kits_own_paths(app) -> None:
    taken = set()
    for rule in app.url_map.iter_rules():
        parts = rule.rule.strip("/").split("/")
        if parts[0] in ("api", "admin") and len(parts) > 1 and "<" not in parts[1]:
            taken.add(parts[1].removesuffix(".json"))
    entities = {entity.name for entity in app.extensions["kit.store"].schema}
    assert taken - entities - {"static", "openapi"} == set(KIT_PATHS)


def test_an_entity_bound_to_two_names_in_models_is_declared_once() -> None:
    module = ModuleType("aliased")
    module.customer = module.client = Entity("customer", Text("name"))
    assert names(Schema.from_module(module)) == ["customer"]


@pytest.mark.parametrize(
    ("label", "plural"),
    [
        ("Category", "Categories"),
        ("Box", "Boxes"),
        ("Address", "Addresses"),
        ("Day", "Days"),
        ("Order", "Orders"),
    ],
)
def test_the_default_plural_follows_english_endings(label: str, plural: str) -> None:
    assert Entity("x", label=label).plural == plural


def test_names_may_be_sql_keywords_and_up_to_63_characters() -> None:
    longest = "a" * 63
    schema = Schema([Entity("order", Text("select"), Integer("from"), Text(longest))])
    assert list(schema["order"].fields) == ["select", "from", longest]
    assert names(Schema([Entity(longest)])) == [longest]


def test_options_may_name_managed_columns() -> None:
    customer = Entity(
        "customer",
        Text("name"),
        title="id",
        key="id",
        order="-created_at",
        search=("name",),
        columns=("name", "created_at", "updated_at"),
    )
    assert Schema([customer])["customer"].columns == ("name", "created_at", "updated_at")


def test_a_schema_must_be_made_of_entities() -> None:
    assert refusal(Entity("customer"), "order") == "'order' is not an Entity."


def test_choice_without_options_is_a_declaration_mistake() -> None:
    assert refusal(Entity("order", Choice("status", []))) == (
        "Entity 'order', field 'status': a choice needs at least one option."
    )


def test_choice_labels_made_from_values_keep_their_capitals() -> None:
    status = Choice("city", ["São Paulo", "in_progress", "NYC", ("ber", "Berlin")])
    assert status.options == {
        "São Paulo": "São Paulo",
        "in_progress": "In progress",
        "NYC": "NYC",
        "ber": "Berlin",
    }


# --- Load order and references ------------------------------------------------------------


@pytest.mark.parametrize("module", MODEL_SETS.values(), ids=MODEL_SETS.keys())
def test_load_order_puts_referenced_entities_first(module: ModuleType) -> None:
    schema = Schema.from_module(module)
    order = names(schema.load_order())
    assert sorted(order) == sorted(names(schema))
    for entity in schema:
        for ref in entity.references:
            assert order.index(ref.to) <= order.index(entity.name), (entity.name, ref.name)


def test_load_order_reorders_entities_declared_before_what_they_refer_to() -> None:
    line = Entity("order_line", Reference("order"), Reference("product"), Integer("quantity"))
    order = Entity("order", Reference("customer"), Text("number"))
    product = Entity("product", Text("name"))
    customer = Entity("customer", Email("email"))
    schema = Schema([line, order, product, customer])
    assert names(schema.load_order()) == ["customer", "order", "product", "order_line"]


def test_load_order_tolerates_self_references() -> None:
    group = Entity("group", Text("select", label="Sélection"), Reference("parent", to="group"))
    member = Entity("member", Reference("group"), Reference("mentor", to="member"))
    assert names(Schema([member, group]).load_order()) == ["group", "member"]


def test_a_circle_of_required_references_is_named() -> None:
    team = Entity("team", Text("name"), Reference("captain", to="player", required=True))
    player = Entity("player", Text("name"), Reference("team", required=True))
    assert refusal(team, player) == (
        "Entities require each other in a circle: team -> player -> team; "
        "make one of these references optional."
    )


def test_a_circle_through_three_entities_is_named() -> None:
    a = Entity("author", Reference("book", required=True))
    b = Entity("book", Reference("publisher", required=True))
    c = Entity("publisher", Reference("star", to="author", required=True))
    assert refusal(a, b, c) == (
        "Entities require each other in a circle: author -> book -> publisher -> author; "
        "make one of these references optional."
    )


def test_a_circle_names_only_the_entities_in_it() -> None:
    fan = Entity("fan", Reference("team", required=True))
    team = Entity("team", Reference("captain", to="player", required=True))
    player = Entity("player", Reference("team", required=True))
    assert refusal(fan, team, player).startswith(
        "Entities require each other in a circle: team -> player -> team;"
    )


def test_an_optional_reference_closing_a_circle_is_linked_after_the_rows_are_stored() -> None:
    customer = Entity("customer", Email("email"), Reference("favorite_order", to="order"))
    order = Entity("order", Text("number"), Reference("customer", required=True))
    schema = Schema([customer, order])
    assert names(schema.load_order()) == ["customer", "order"]
    assert schema.linked_later(schema["customer"], schema["customer"].fields["favorite_order"])
    assert not schema.linked_later(schema["order"], schema["order"].fields["customer"])


def test_referrers_lists_who_refers_to_an_entity() -> None:
    schema = Schema.from_module(models)
    found = {
        name: [(entity.name, ref.name) for entity, ref in schema.referrers(name)] for name in names(schema)
    }
    assert found == {
        "category": [("product", "category")],
        "product": [("order_line", "product")],
        "customer": [("order", "customer")],
        "order": [("order_line", "order")],
        "order_line": [],
        "signup": [],
    }


def test_referrers_include_self_references() -> None:
    schema = Schema.from_module(unusual_models)
    found = [(entity.name, ref.name) for entity, ref in schema.referrers("group")]
    assert found == [("group", "parent"), ("order", "group"), ("wide", "g")]


# --- Defaults -----------------------------------------------------------------------------


def checked(entity: Entity) -> Entity:
    """`entity` after a Schema has checked it (its fields are known only then)."""
    return Schema([entity])[entity.name]


def test_label_and_plural_default_to_the_name_in_words() -> None:
    line = checked(Entity("order_line", Integer("quantity")))
    assert (line.label, line.plural) == ("Order line", "Order lines")
    group = checked(Entity("group", Text("name"), label="Gruppe", plural="Gruppen"))
    assert (group.label, group.plural) == ("Gruppe", "Gruppen")


def test_title_defaults_to_the_first_short_text() -> None:
    customer = Entity("customer", Integer("age"), LongText("bio"), Email("email"), Text("name"))
    assert checked(customer).title == "email"


def test_title_without_any_short_text_is_the_id() -> None:
    assert checked(Entity("payment", Money("amount"), Date("paid_on"))).title == "id"


def test_title_given_wins() -> None:
    assert checked(Entity("customer", Email("email"), Text("name"), title="name")).title == "name"


def test_key_defaults_to_the_first_unique_field() -> None:
    product = Entity("product", Text("name"), Integer("sku", unique=True), Email("e", unique=True))
    assert checked(product).key == "sku"


def test_key_is_none_without_a_unique_field() -> None:
    assert checked(Entity("note", Text("body"))).key is None


def test_key_given_wins() -> None:
    product = Entity("product", Text("name", unique=True), Text("sku"), key="sku")
    assert checked(product).key == "sku"


def test_search_defaults_to_every_short_text() -> None:
    customer = Entity(
        "customer",
        Text("name"),
        LongText("bio"),
        Url("site"),
        Choice("tier", ["gold", "silver"]),
        Email("email"),
        Text("city", label="Straße"),
    )
    assert checked(customer).search == ("name", "email", "city")


def test_search_given_wins() -> None:
    customer = Entity("customer", Text("name"), LongText("bio"), search=("bio",))
    assert checked(customer).search == ("bio",)


def test_columns_default_to_the_first_six_that_fit_a_list() -> None:
    wide = Entity(
        "wide",
        Text("t1"),
        LongText("notes"),
        Integer("i1"),
        Money("m1"),
        Boolean("b1"),
        Date("d1"),
        DateTime("dt1"),
        Choice("c1", ["x", "y"]),
    )
    assert checked(wide).columns == ("t1", "i1", "m1", "b1", "d1", "dt1")


def test_columns_given_win() -> None:
    customer = Entity("customer", Text("name"), Email("email"), columns=("email", "created_at"))
    assert checked(customer).columns == ("email", "created_at")


@pytest.mark.parametrize(
    ("order", "sort"),
    [("-id", ("id", True)), ("name", ("name", False)), ("-placed_at", ("placed_at", True))],
)
def test_order_reads_as_field_and_direction(order: str, sort: tuple[str, bool]) -> None:
    entity = Entity("order", Text("name"), DateTime("placed_at"), order=order)
    assert checked(entity).sort == sort


def test_order_defaults_to_newest_first() -> None:
    assert checked(Entity("note", Text("body"))).sort == ("id", True)
