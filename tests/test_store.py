"""The model layer: the one path every row takes in and out."""

from __future__ import annotations

import dataclasses
import types
from decimal import Decimal

import pytest
import sqlalchemy as sa

from kit import fake, store
from kit.declare import Choice, Entity, Integer, LongText, Money, Reference, Text, Url
from kit.errors import Conflict, InUse, NotFound, ValidationError
from kit.schema import DeclarationError
from kit.store import STORES, Filter, Query
from tests.conftest import MODEL_SETS, ON_POSTGRES, make_app, run_python
from tests.test_admin import fill_references


@pytest.fixture
def shop(app):
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        coffee = kit_store["category"].create({"name": "Café & Tee"})
        yield kit_store, coffee


def add_product(kit_store, category, name="Espresso", price="12.50", **extra):
    return kit_store["product"].create({"name": name, "category": category["id"], "price": price, **extra})


def test_create_returns_the_stored_row_with_managed_fields(shop):
    kit_store, coffee = shop
    product = add_product(kit_store, coffee, description="Dunkel geröstet")
    assert product["id"] > 0
    assert product["price"] == Decimal("12.50")
    assert product["stock"] == 0 and product["active"] is True  # declared defaults
    assert product["created_at"] == product["updated_at"]
    assert kit_store["product"].get(product["id"]) == product


def test_money_is_stored_exactly_in_cents(shop, app):
    kit_store, coffee = shop
    add_product(kit_store, coffee, price="0.10")
    add_product(kit_store, coffee, name="Ristretto", price="0.20")
    raw = kit_store.connection.exec_driver_sql("select price from product")
    assert sorted(raw) == [(10,), (20,)]
    total = sum(row["price"] for row in kit_store["product"].list().rows)
    assert total == Decimal("0.30")


def test_failed_create_names_every_bad_field_and_writes_nothing(shop):
    kit_store, coffee = shop
    with pytest.raises(ValidationError) as caught:
        kit_store["product"].create({"name": "", "category": coffee["id"], "price": "abc", "stock": "-1"})
    assert caught.value.fields == {
        "name": "Name is required.",
        "price": "Price must be an amount like 12.50.",
        "stock": "Stock must be at least 0.",
    }
    assert kit_store["product"].count() == 0


def test_unknown_field_is_refused_not_ignored(shop):
    kit_store, coffee = shop
    with pytest.raises(ValidationError) as caught:
        add_product(kit_store, coffee, Price="1.00")
    assert caught.value.fields == {"Price": "Product has no field 'Price'."}
    with pytest.raises(ValidationError):
        add_product(kit_store, coffee, id=99)
    with pytest.raises(ValidationError):
        add_product(kit_store, coffee, created_at="2020-01-01")
    columns = {c["name"] for c in kit_store.db.inspect.get_columns("product")}
    assert "Price" not in columns


def test_reference_to_missing_row_is_refused(shop):
    kit_store, _ = shop
    with pytest.raises(ValidationError) as caught:
        kit_store["product"].create({"name": "Tee", "category": 404, "price": "3"})
    assert caught.value.fields == {"category": "Category 404 doesn't exist."}  # the label says it once


def test_reference_to_missing_row_leads_with_a_label_that_says_more(tmp_path):
    app = make_app(tmp_path, MODEL_SETS["unusual"])
    with app.app_context(), pytest.raises(ValidationError) as caught:
        app.extensions["kit.store"]["group"].create({"select": "a", "parent": 404})
    assert caught.value.fields == {"parent": "Übergeordnete Gruppe: Gruppe 404 doesn't exist."}
    app.extensions["kit.store"].close()


def test_a_row_cannot_refer_to_itself_but_may_to_another_of_its_entity(tmp_path):
    app = make_app(tmp_path, MODEL_SETS["unusual"])
    with app.app_context():
        groups = app.extensions["kit.store"]["group"]
        top = groups.create({"select": "Oben"})
        below = groups.create({"select": "Unten", "parent": top["id"]})
        with pytest.raises(ValidationError) as caught:
            groups.update(top["id"], {"parent": top["id"]})
        assert caught.value.fields == {"parent": "Übergeordnete Gruppe can't be the row itself."}
        assert groups.get(top["id"])["parent"] is None
        assert groups.update(top["id"], {"parent": below["id"]})["parent"] == below["id"]
    app.extensions["kit.store"].close()


def test_nul_is_dropped_before_a_value_is_checked_on_every_database(shop):
    kit_store, coffee = shop
    with pytest.raises(ValidationError) as caught:
        kit_store["category"].create({"name": "\x00"})
    assert caught.value.fields == {"name": "Name is required."}
    with pytest.raises(Conflict):  # the unique check compares what would be stored
        kit_store["category"].create({"name": "Café\x00 & Tee"})
    assert kit_store["category"].create({"name": "Tee\x00"})["name"] == "Tee"


def test_unique_field_conflict_is_409_naming_the_field(shop):
    kit_store, coffee = shop
    add_product(kit_store, coffee)
    with pytest.raises(Conflict) as caught:
        add_product(kit_store, coffee)
    assert caught.value.status == 409
    assert caught.value.fields == {"name": "Name 'Espresso' is already taken."}
    assert kit_store["product"].count() == 1


def test_update_changes_only_given_fields_and_keeps_unique_check(shop):
    kit_store, coffee = shop
    first = add_product(kit_store, coffee)
    second = add_product(kit_store, coffee, name="Lungo")
    updated = kit_store["product"].update(first["id"], {"stock": "7"})
    assert updated["stock"] == 7 and updated["name"] == "Espresso"
    assert kit_store["product"].update(first["id"], {"name": "Espresso"})["name"] == "Espresso"
    with pytest.raises(Conflict):
        kit_store["product"].update(second["id"], {"name": "Espresso"})
    assert kit_store["product"].get(second["id"])["name"] == "Lungo"


@pytest.mark.parametrize("bad_id", ["abc", "0", "-3", "99", "1e3", "9" * 30, None])
def test_missing_rows_are_not_found(shop, bad_id):
    kit_store, _ = shop
    with pytest.raises(NotFound) as caught:
        kit_store["product"].get(bad_id)
    assert caught.value.status == 404
    assert caught.value.message == f"Product {bad_id} doesn't exist."


@pytest.mark.parametrize("spelling", ["01", "+1", " 1", "1_0", "١", "1.0", True])
def test_an_id_is_its_digits_alone(shop, spelling):
    kit_store, coffee = shop
    assert kit_store["category"].get("1") == kit_store["category"].get(1) == coffee
    with pytest.raises(NotFound):
        kit_store["category"].get(spelling)


@pytest.mark.parametrize("spelling", ["01", "+1", "1_0", "١", "1.5", True])
def test_a_reference_is_an_id_in_digits_too(shop, spelling):
    kit_store, coffee = shop
    assert add_product(kit_store, {"id": " 1 "})["category"] == coffee["id"]  # spaces typed around it
    with pytest.raises(ValidationError) as caught:
        add_product(kit_store, {"id": spelling}, name="Lungo")
    assert caught.value.fields == {"category": "Category must be the id of a row."}


def test_an_update_that_changes_nothing_writes_nothing(shop):
    kit_store, coffee = shop
    product = add_product(kit_store, coffee)
    same = kit_store["product"].update(product["id"], {"price": "12.50", "name": " Espresso "})
    assert (same["version"], same["updated_at"]) == (product["version"], product["updated_at"])
    changed = kit_store["product"].update(product["id"], {"price": "13"})
    assert changed["version"] == product["version"] + 1


def test_delete_is_refused_while_referenced(shop):
    kit_store, coffee = shop
    add_product(kit_store, coffee)
    with pytest.raises(InUse) as caught:
        kit_store["category"].delete(coffee["id"])
    assert caught.value.message == (
        "Category can't be deleted: 1 product still refers to it through 'Category'."
    )
    assert kit_store["category"].count() == 1


def test_a_delete_refusal_keeps_declared_labels_as_written(tmp_path):
    app = make_app(tmp_path, MODEL_SETS["unusual"])
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        group = kit_store["group"].create({"select": "Oben"})
        kit_store["group"].create({"select": "Unten", "parent": group["id"]})
        with pytest.raises(InUse) as caught:
            kit_store["group"].delete(group["id"])
    assert caught.value.message == (
        "Gruppe can't be deleted: 1 Gruppe still refers to it through 'Übergeordnete Gruppe'."
    )
    app.extensions["kit.store"].close()


def test_delete_many_is_all_or_nothing(shop):
    kit_store, coffee = shop
    tea = kit_store["category"].create({"name": "Tea"})
    add_product(kit_store, coffee)
    add_product(kit_store, coffee, name="Lungo")
    with pytest.raises(InUse) as caught:
        kit_store["category"].delete_many([tea["id"], coffee["id"]])
    assert caught.value.message == (
        "Nothing was deleted: 2 products still refer to 'Café & Tee' through 'Category'; "
        "delete or change those first, or leave it out."
    )
    assert kit_store["category"].count() == 2
    assert kit_store["category"].delete_many([tea["id"]]) == 1


@pytest.fixture
def products(shop):
    kit_store, coffee = shop
    for name, price, stock, active in [
        ("Äpfel", "2.00", 5, True),
        ("Brot", "4.50", 0, True),
        ("Crème", "10.00", 12, False),
        ("100% Kaffee", "9.99", 3, True),
    ]:
        add_product(kit_store, coffee, name=name, price=price, stock=stock, active=active)
    return kit_store["product"]


def names(page):
    return [row["name"] for row in page.rows]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([Filter("price", "gte", "4.50")], ["Brot", "Crème", "100% Kaffee"]),
        ([Filter("price", "lt", "4.5")], ["Äpfel"]),
        ([Filter("active", "eq", "false")], ["Crème"]),
        ([Filter("name", "contains", "%")], ["100% Kaffee"]),
        ([Filter("name", "contains", "_")], []),
        ([Filter("name", "contains", "crè")], ["Crème"]),
        ([Filter("stock", "eq", "0")], ["Brot"]),
        ([Filter("stock", "ne", "0"), Filter("active", "eq", "yes")], ["Äpfel", "100% Kaffee"]),
        ([Filter("image_url", "empty", "yes")], ["Äpfel", "Brot", "Crème", "100% Kaffee"]),
    ],
)
def test_filters_select_the_right_rows(products, filters, expected):
    page = products.list(Query(filters=filters, sort="name"))
    assert sorted(names(page)) == sorted(expected)
    assert page.total == len(expected)


@pytest.mark.parametrize(
    ("flt", "message"),
    [
        (Filter("secret", "eq", "1"), "Product has no field 'secret' to filter by."),
        (
            Filter("price", "contains", "1"),
            "Price can't be filtered with 'contains'; use one of: eq, ne, gt, gte, lt, lte, empty.",
        ),
        (Filter("price", "gte", "cheap"), "Price must be an amount like 12.50."),
        (
            Filter("name", "eq); drop table product; --", "x"),
            "Name can't be filtered with 'eq); drop table product; --'; "
            "use one of: eq, ne, contains, startswith, empty.",
        ),
    ],
)
def test_bad_filters_are_refused_with_a_message(products, flt, message):
    with pytest.raises(ValidationError) as caught:
        products.list(Query(filters=[flt]))
    assert caught.value.message == message
    assert products.count() == 4


def test_sort_by_any_sortable_field_both_ways(products):
    assert names(products.list(Query(sort="price"))) == ["Äpfel", "Brot", "100% Kaffee", "Crème"]
    assert names(products.list(Query(sort="price", desc=True))) == ["Crème", "100% Kaffee", "Brot", "Äpfel"]
    assert names(products.list(Query(sort="stock", desc=True)))[0] == "Crème"


@pytest.mark.parametrize("sort", ["nope", "price; drop table product", "description", "password_hash"])
def test_sort_on_unknown_or_unsortable_column_is_rejected(products, sort):
    with pytest.raises(ValidationError):
        products.list(Query(sort=sort))


def test_search_looks_in_searchable_fields_case_insensitively(products):
    assert names(products.list(Query(search="BROT"))) == ["Brot"]
    assert names(products.list(Query(search="100%"))) == ["100% Kaffee"]
    assert products.list(Query(search="'; select")).total == 0


@pytest.mark.parametrize(
    ("query", "found"),
    [
        (Query(search="ä"), ["Äpfel"]),  # shorter than a trigram: compared without the index
        (Query(search="ÈM"), ["Crème"]),
        (Query(filters=[Filter("name", "contains", "ÈME")]), ["Crème"]),
        (Query(filters=[Filter("name", "startswith", "äP")]), ["Äpfel"]),
        (Query(filters=[Filter("name", "contains", "ä_")]), []),  # _ and % are letters here
    ],
)
def test_short_searches_and_text_filters_ignore_case_beyond_ascii(products, query, found):
    assert names(products.list(query)) == found


@pytest.mark.parametrize("word", ["ΦΑΣ", "φας", "φασ", "ΦΑΣΟΛΙΑ"])
def test_a_greek_final_sigma_finds_the_same_rows_searched_sorted_or_filtered(shop, word):
    kit_store, coffee = shop
    add_product(kit_store, coffee, name="ΦΑΣΟΛΙΑ γίγαντες")
    add_product(kit_store, coffee, name="Σπανάκι")
    repo = kit_store["product"]
    for query in (
        Query(search=word),
        Query(search=word, sort="price"),
        Query(filters=[Filter("name", "contains", word)]),
    ):
        page = repo.list(query)
        assert (names(page), page.total) == (["ΦΑΣΟΛΙΑ γίγαντες"], 1), query


def test_empty_values_sort_below_every_value_on_every_database(shop):
    kit_store, coffee = shop
    for name, stock in [("Brot", 5), ("Äpfel", None), ("Crème", 0)]:
        add_product(kit_store, coffee, name=name, stock=stock)
    repo = kit_store["product"]
    assert names(repo.list(Query(sort="stock"))) == ["Äpfel", "Crème", "Brot"]
    assert names(repo.list(Query(sort="stock", desc=True))) == ["Brot", "Crème", "Äpfel"]
    last = repo.list(Query(sort="stock", per_page=2, page=1))  # read backwards from the end
    assert names(last) == ["Brot"]


def test_pages_split_the_rows_and_count_them_all(products):
    first = products.list(Query(sort="name", per_page=3))
    second = products.list(Query(sort="name", per_page=3, page=1))
    assert first.total == second.total == 4 and first.pages == 2
    assert len(first.rows) == 3 and len(second.rows) == 1
    assert not set(names(first)) & set(names(second))


def test_page_size_is_capped(products):
    assert products.list(Query(per_page=10**9)).per_page == 500


@pytest.mark.parametrize(
    "query, refusal",
    [
        (Query(search="ab " * 21), {"_search": "A search takes at most 20 words."}),
        (
            Query(filters=[Filter("name", "contains", "a")] * 31),
            {"_filters": "A list takes at most 30 filters at once."},
        ),
    ],
)
def test_a_search_or_filters_past_the_bounds_are_refused_before_the_database(products, query, refusal):
    for read in (products.list, products.count, lambda q: list(products.iterate(q))):
        with pytest.raises(ValidationError) as refused:
            read(query)
        assert refused.value.fields == refusal
    assert products.list(Query(search="ab " * 20, filters=[Filter("name", "contains", "a")] * 30)).total == 0


def test_labels_name_referenced_rows(shop):
    kit_store, coffee = shop
    product = add_product(kit_store, coffee)
    assert kit_store["category"].labels([coffee["id"], None]) == {coffee["id"]: "Café & Tee"}
    assert kit_store["product"].label(product) == "Espresso"


def test_adding_a_field_keeps_rows_and_removing_one_keeps_its_data(tmp_path):
    from kit.declare import Entity, Integer, Text

    first = type(MODEL_SETS["shop"])("first")
    first.note = Entity("note", Text("title", required=True), Text("body"))
    app = make_app(tmp_path, first)
    with app.app_context():
        app.extensions["kit.store"]["note"].create({"title": "Ünïcode", "body": "kept"})
    app.extensions["kit.store"].close()

    second = type(MODEL_SETS["shop"])("second")
    second.note = Entity("note", Text("title", required=True), Integer("stars", default=3))
    app = make_app(tmp_path, second)
    with app.app_context():
        row = app.extensions["kit.store"]["note"].list().rows[0]
        assert row["title"] == "Ünïcode" and row["stars"] == 3  # the rows before it get its default
        assert "body" not in row
        raw = app.extensions["kit.store"].connection.exec_driver_sql("select body from note")
        assert raw.fetchall() == [("kept",)]
    app.extensions["kit.store"].close()


def restart(tmp_path, *entities):
    """The app started again on the same database, with `entities` as models.py."""
    module = types.ModuleType("models_now")
    for entity in entities:
        setattr(module, entity.name, entity)
    return make_app(tmp_path, module)


def test_a_new_field_gives_earlier_rows_its_default_or_says_they_lack_one(tmp_path, caplog):
    from kit.declare import Boolean, Entity, Text

    app = restart(tmp_path, Entity("venue", Text("name", required=True)))
    with app.app_context():
        app.extensions["kit.store"]["venue"].create({"name": "Café Ölkeller"})
    app.extensions["kit.store"].close()
    fields = [
        Text("name", required=True),
        Text("country", required=True, default="Österreich"),
        Boolean("open"),
        Text("owner", required=True),
    ]
    app = restart(tmp_path, Entity("venue", *fields))
    with app.app_context():
        row = app.extensions["kit.store"]["venue"].get(1)
    assert (row["country"], row["open"], row["owner"]) == ("Österreich", False, None)
    assert [r.getMessage() for r in caplog.records if r.name == "kit.store"] == [
        "Entity 'venue', field 'owner' is new and required: the rows stored before it have no value, "
        "and each needs one the next time it is saved."
    ]
    app.extensions["kit.store"].close()


def test_an_id_is_never_given_again_after_its_row_is_deleted(shop):
    kit_store, _ = shop
    first, last = (kit_store["category"].create({"name": name}) for name in ("Tee", "Kaffee"))
    kit_store["category"].delete(last["id"])
    assert kit_store["category"].create({"name": "Kakao"})["id"] > last["id"] > first["id"]


def test_a_field_no_longer_unique_takes_repeated_values_after_a_restart(tmp_path):
    app = restart(tmp_path, Entity("note", Text("title", unique=True)))
    with app.app_context():
        app.extensions["kit.store"]["note"].create({"title": "Zwei"})
    app.extensions["kit.store"].close()
    app = restart(tmp_path, Entity("note", Text("title")))
    with app.app_context():
        app.extensions["kit.store"]["note"].create({"title": "Zwei"})
        assert [r["title"] for r in app.extensions["kit.store"]["note"].list().rows] == ["Zwei", "Zwei"]
    app.extensions["kit.store"].close()


def test_a_longer_choice_added_later_can_be_saved(tmp_path):
    app = restart(tmp_path, Entity("parcel", Choice("status", ["new", "paid"])))
    app.extensions["kit.store"].close()
    app = restart(tmp_path, Entity("parcel", Choice("status", ["new", "paid", "delivered"])))
    with app.app_context():
        assert app.extensions["kit.store"]["parcel"].create({"status": "delivered"})["status"] == "delivered"
    app.extensions["kit.store"].close()


def test_names_past_63_characters_make_indexes_on_every_database(tmp_path):
    renewal = Entity(
        "customer_subscription_renewal",
        Text("last_notification_sent_to_address", unique=True),
        Integer("number_of_reminders_sent_so_far"),
        sortable=("number_of_reminders_sent_so_far",),
    )
    app = restart(tmp_path, renewal)
    with app.app_context():
        repo = app.extensions["kit.store"]["customer_subscription_renewal"]
        repo.create(
            {"last_notification_sent_to_address": "a@example.com", "number_of_reminders_sent_so_far": 2}
        )
        with pytest.raises(Conflict):
            repo.create({"last_notification_sent_to_address": "a@example.com"})
        indexes = {i["name"] for i in app.extensions["kit.store"].db.inspect.get_indexes(repo.name)}
        assert all(len(name) <= 63 for name in indexes) and len(indexes) >= 2
    app.extensions["kit.store"].close()


@pytest.mark.parametrize(
    ("entities", "name"),
    [
        ((Entity("a", Text("b_c")), Entity("a_b", Text("c"))), "ix_a_b_c"),
        ((Entity("x", Text("name")), Entity("x_data", Text("name"))), "kit_search_x_data"),
        ((Entity("ix_a_name", Integer("n")), Entity("a", Text("name"))), "ix_a_name"),
    ],
)
def test_two_entities_that_would_make_one_table_or_index_are_refused(tmp_path, entities, name):
    with pytest.raises(DeclarationError) as refused:
        restart(tmp_path, *entities)
    first, second = (entity.name for entity in entities)
    assert str(refused.value) == (
        f"Entities '{first}' and '{second}' would both make a table or index named '{name}'; "
        "rename one of them."
    )


def test_a_field_or_entity_left_out_of_models_py_is_said_once_and_its_data_kept(tmp_path, caplog):
    app = restart(tmp_path, Entity("note", Text("title"), Text("city")), Entity("review", Text("text")))
    with app.app_context():
        app.extensions["kit.store"]["note"].create({"title": "Eins", "city": "Köln"})
    app.extensions["kit.store"].close()
    caplog.set_level("WARNING", logger="kit.store")
    for _ in range(2):  # said at the first start without them, not at every start
        restart(tmp_path, Entity("note", Text("title"), Text("town"))).extensions["kit.store"].close()
    assert [record.getMessage() for record in caplog.records] == [
        "Entity 'note', field 'city' is no longer in models.py: the data is kept in its table, "
        "and comes back if declared again.",
        "Entity 'review' is no longer in models.py: its table and rows are kept, "
        "and come back if it is declared again.",
    ]
    caplog.clear()
    app = restart(tmp_path, Entity("note", Text("title"), Text("city")))
    with app.app_context():
        assert app.extensions["kit.store"]["note"].get(1)["city"] == "Köln"  # back, as it was
    app.extensions["kit.store"].close()
    assert [record.getMessage()[:34] for record in caplog.records] == ["Entity 'note', field 'town' is no "]


def test_a_failed_start_leaves_no_store_open(tmp_path):
    app = restart(tmp_path, Entity("note", Text("title")))
    with app.app_context():
        for _ in range(2):
            app.extensions["kit.store"]["note"].create({"title": "Zwei"})
    app.extensions["kit.store"].close()
    before = set(STORES)
    with pytest.raises(DeclarationError) as refused:
        restart(tmp_path, Entity("note", Text("title", unique=True)))
    assert refused.value.message == (
        "Entity 'note', field 'title': can't be unique, 2 rows share the value 'Zwei'; "
        "make them differ or leave out unique=True."
    )
    assert set(STORES) == before


def test_a_field_whose_column_holds_another_kind_of_value_stops_start_up(tmp_path):
    app = restart(tmp_path, Entity("note", Text("price")))
    with app.app_context():
        app.extensions["kit.store"]["note"].create({"price": "12.50"})
    app.extensions["kit.store"].close()
    with pytest.raises(DeclarationError) as refused:
        restart(tmp_path, Entity("note", Money("price")))
    assert str(refused.value) == (
        "Entity 'note', field 'price': its column was made for text values, not money; "
        "give the field a new name (the old column keeps its data)."
    )


@pytest.mark.parametrize(("before", "after"), [(Integer, Money), (Money, Integer)])
def test_a_field_turned_to_or_from_money_over_stored_values_stops_start_up(tmp_path, before, after):
    app = restart(tmp_path, Entity("note", Text("title"), before("price")))
    with app.app_context():
        app.extensions["kit.store"]["note"].create({"title": "Zwölf", "price": 12})
    app.extensions["kit.store"].close()
    with pytest.raises(DeclarationError) as refused:
        restart(tmp_path, Entity("note", Text("title"), after("price")))
    assert str(refused.value) == (
        f"Entity 'note', field 'price': its column holds {before.kind} values, not {after.kind}; "
        "give the field a new name (the old column keeps its data)."
    )
    app = restart(tmp_path, Entity("note", Text("title"), before("price")))  # nothing was changed
    with app.app_context():
        assert app.extensions["kit.store"]["note"].get(1)["price"] == 12


def test_a_field_turns_to_money_while_its_column_holds_no_value(tmp_path):
    app = restart(tmp_path, Entity("note", Text("title"), Integer("price")))
    with app.app_context():
        app.extensions["kit.store"]["note"].create({"title": "Ohne Preis"})
    app.extensions["kit.store"].close()
    app = restart(tmp_path, Entity("note", Text("title"), Money("price")))
    with app.app_context():
        repo = app.extensions["kit.store"]["note"]
        repo.update(1, {"price": "12.50"})
        assert repo.get(1)["price"] == Decimal("12.50")
    app.extensions["kit.store"].close()
    with pytest.raises(DeclarationError, match="holds money values, not integer"):
        restart(tmp_path, Entity("note", Text("title"), Integer("price")))  # now it holds money


def test_sorted_and_unique_text_fits_an_index_on_every_database(tmp_path):
    app = restart(tmp_path, Entity("page", Url("link", unique=True), LongText("body")))
    long_link = "https://example.com/" + "é" * 1900  # within 2,000 characters, 3,820 bytes
    with app.app_context():
        repo = app.extensions["kit.store"]["page"]
        with pytest.raises(ValidationError) as refused:
            repo.create({"link": long_link})
        assert refused.value.fields == {
            "link": "Link must be at most 2,400 bytes (letters beyond a-z take 2-4)."
        }
        repo.create({"link": "https://example.com/" + "e" * 1900, "body": "é" * 5000})  # no index on body
        assert repo.count() == 1
    app.extensions["kit.store"].close()


def test_a_unique_reference_clash_names_the_row_by_its_title(tmp_path):
    app = restart(tmp_path, Entity("desk", Text("name")), Entity("seat", Reference("desk", unique=True)))
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        desk = kit_store["desk"].create({"name": "Fenster"})
        kit_store["seat"].create({"desk": desk["id"]})
        with pytest.raises(Conflict) as clash:
            kit_store["seat"].create({"desk": desk["id"]})
        assert clash.value.fields == {"desk": "Desk 'Fenster' is already taken."}
    app.extensions["kit.store"].close()


def test_start_up_makes_typed_columns_and_indexes(app):
    inspector = app.extensions["kit.store"].db.inspect
    columns = {c["name"]: str(c["type"]) for c in inspector.get_columns("product")}
    assert columns["price"] == "BIGINT" and columns["active"] == "BOOLEAN"
    assert columns["name"] == "TEXT"
    indexes = {i["name"]: i for i in inspector.get_indexes("product")}
    assert indexes["ux_product_name"]["unique"]
    assert "ix_product_price" in indexes and "ix_product_category" in indexes


def test_the_app_starts_and_answers_without_loading_alembic_or_postgresql_on_sqlite(tmp_path):
    code = (
        "import sys, app\n"
        "app.create_app().test_client().get('/login')\n"
        "loaded = {m.split('.')[0] for m in sys.modules} | set(sys.modules)\n"
        "print(sorted(loaded & {'alembic', 'mako', 'pygments', 'kit', 'sqlalchemy.dialects.postgresql'}))"
    )
    assert run_python(tmp_path, code)[-1] == "['kit']"


def test_dataset_guesses_a_dict_as_the_databases_own_json_type(app):
    guessed = app.extensions["kit.store"].db.types.guess({"a": 1})
    if ON_POSTGRES:
        from sqlalchemy.dialects.postgresql import JSONB

        assert guessed is JSONB
    else:
        assert guessed is sa.JSON


def test_dataset_still_migrates_a_table_of_its_own_through_alembic(tmp_path):
    db = store.dataset.connect(f"sqlite:///{tmp_path / 'own.db'}")
    table = db["visits"]
    table.insert({"page": "/"})
    table.insert({"page": "/about", "referrer": "B€rkeley"})  # a new key: dataset adds its column
    assert table.columns == ["id", "page", "referrer"]
    assert [row["referrer"] for row in table.all()] == [None, "B€rkeley"]
    db.close()


@pytest.mark.parametrize("model_set", sorted(MODEL_SETS))
def test_fake_rows_are_valid_for_every_entity(tmp_path, model_set):
    app = make_app(tmp_path, MODEL_SETS[model_set])
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        ids: dict[str, list[int]] = {}
        for entity in kit_store.schema.load_order():
            if entity not in kit_store.schema.declared:
                continue
            repo = kit_store[entity.name]
            refs = {r.name: ids.get(r.to, []) for r in entity.references}
            for n in range(3):
                ids.setdefault(entity.name, []).append(repo.create(fake.row(repo, n, refs))["id"])
            assert repo.count() == 3
    app.extensions["kit.store"].close()


# == KEYSET PAGES ===============================================================


def awkward_rows(kit_store, repo, count: int = 12) -> list[int]:
    """Ids of `count` rows whose sortable fields hold runs of NULLs and of one repeated value.

    Every third row gets NULL in each sortable field (as rows stored before a
    required field existed have), every third the same value as row 1 unless
    the field is unique, and the rest keep their own.
    """
    refs = fill_references(kit_store, repo.entity)
    made = [repo.create(fake.row(repo, 60 + n, refs)) for n in range(count)]
    names = [name for name in repo.entity.sortable if name != "id"]
    with kit_store.transaction() as conn:
        for n, row in enumerate(made):
            values = {}
            for name in names:
                f = repo.fields[name]
                if n % 3 == 0:
                    values[name] = None
                elif n % 3 == 1 and not f.unique:
                    values[name] = f.to_db(made[1][name])
            if values:
                conn.execute(repo.table.update().where(repo.table.c.id == row["id"]).values(values))
    return [row["id"] for row in made]


def walk_by_place(repo, query: Query) -> list[int]:
    """Ids of every row of a query, read page by page from the place where the last one ended."""
    page = repo.list(query)
    seen = [row["id"] for row in page.rows]
    while page.after is not None:
        page = repo.list(dataclasses.replace(query, after=page.after))
        assert page.page is None and len(page.rows) <= query.per_page
        seen += [row["id"] for row in page.rows]
    return seen


def orders(repo) -> list[tuple[str, bool]]:
    return [(name, desc) for name in repo.entity.sortable for desc in (False, True)]


ENTITIES = [
    (model_set, entity.name)
    for model_set, module in sorted(MODEL_SETS.items())
    for entity in vars(module).values()
    if type(entity).__name__ == "Entity"
]


@pytest.fixture(params=ENTITIES, ids=["-".join(e) for e in ENTITIES])
def awkward(request, tmp_path):
    """(store, repository, ids) of one entity of either model set, filled with awkward_rows."""
    model_set, name = request.param
    app = make_app(tmp_path, MODEL_SETS[model_set])
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        yield kit_store, kit_store[name], awkward_rows(kit_store, kit_store[name])
    app.extensions["kit.store"].close()


def test_reading_on_from_each_place_yields_the_rows_of_the_plain_query_in_its_order(awkward):
    _, repo, ids = awkward
    for sort, desc in orders(repo):
        plain = [row["id"] for row in repo.list(Query(sort=sort, desc=desc, per_page=500)).rows]
        assert set(ids) <= set(plain) and len(plain) == repo.count()
        for per_page in (1, 3, 5):
            assert walk_by_place(repo, Query(sort=sort, desc=desc, per_page=per_page)) == plain, (sort, desc)


def test_reading_on_from_a_place_keeps_the_filters_and_the_search(awkward):
    _, repo, ids = awkward
    queries = [Query(filters=[Filter("id", "ne", str(ids[2]))])]
    if repo.entity.search:
        word = str(repo.get(ids[2])[repo.entity.search[0]]).split()[0]
        queries += [Query(search=word), Query(search=word, filters=[Filter("id", "ne", str(ids[5]))])]
    for query in queries:
        for sort, desc in [(None, False), *orders(repo)]:
            wanted = dataclasses.replace(query, sort=sort, desc=desc, per_page=500)
            plain = [row["id"] for row in repo.list(wanted).rows]
            assert plain and len(plain) < repo.count()
            walked = walk_by_place(repo, dataclasses.replace(wanted, per_page=2))
            assert walked == plain, (query, sort, desc)


def test_a_place_stays_put_when_rows_are_added_before_it(shop):
    kit_store, coffee = shop
    for name in ("Bohnen", "Crema", "Doppio", "Filter"):
        add_product(kit_store, coffee, name=name)
    first = kit_store["product"].list(Query(sort="name", per_page=2))
    add_product(kit_store, coffee, name="Americano")  # sorts before every row shown so far
    second = kit_store["product"].list(Query(sort="name", per_page=2, after=first.after))
    assert names(first) == ["Bohnen", "Crema"] and names(second) == ["Doppio", "Filter"]
    assert second.after is None and second.total == 5


def test_the_last_numbered_page_has_no_place_after_it(products):
    assert products.list(Query(sort="name", per_page=2)).after is not None
    assert products.list(Query(sort="name", per_page=2, page=1)).after is None
    assert products.list(Query(sort="name", per_page=4)).after is None


def test_a_place_in_another_order_is_refused(products):
    after = products.list(Query(sort="name", per_page=2)).after
    with pytest.raises(ValueError):
        products.list(Query(sort="price", per_page=2, after=after))
