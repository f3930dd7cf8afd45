"""The model layer: the one path every row takes in and out."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kit import fake
from kit.errors import Conflict, InUse, NotFound, ValidationError
from kit.store import Filter, Query
from tests.conftest import MODEL_SETS, make_app


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
    assert caught.value.fields == {"category": "Category: Category 404 doesn't exist."}


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


def test_delete_is_refused_while_referenced(shop):
    kit_store, coffee = shop
    add_product(kit_store, coffee)
    with pytest.raises(InUse) as caught:
        kit_store["category"].delete(coffee["id"])
    assert caught.value.message == (
        "Category can't be deleted: 1 product still refer to it through 'Category'."
    )
    assert kit_store["category"].count() == 1


def test_delete_many_is_all_or_nothing(shop):
    kit_store, coffee = shop
    tea = kit_store["category"].create({"name": "Tea"})
    add_product(kit_store, coffee)
    with pytest.raises(InUse):
        kit_store["category"].delete_many([tea["id"], coffee["id"]])
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


def test_pages_split_the_rows_and_count_them_all(products):
    first = products.list(Query(sort="name", per_page=3))
    second = products.list(Query(sort="name", per_page=3, page=1))
    assert first.total == second.total == 4 and first.pages == 2
    assert len(first.rows) == 3 and len(second.rows) == 1
    assert not set(names(first)) & set(names(second))


def test_page_size_is_capped(products):
    assert products.list(Query(per_page=10**9)).per_page == 500


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
        assert row["title"] == "Ünïcode" and row["stars"] is None
        assert "body" not in row
        raw = app.extensions["kit.store"].connection.exec_driver_sql("select body from note")
        assert raw.fetchall() == [("kept",)]
    app.extensions["kit.store"].close()


def test_start_up_makes_typed_columns_and_indexes(app):
    inspector = app.extensions["kit.store"].db.inspect
    columns = {c["name"]: str(c["type"]) for c in inspector.get_columns("product")}
    assert columns["price"] == "BIGINT" and columns["active"] == "BOOLEAN"
    assert columns["name"] == "TEXT"
    indexes = {i["name"]: i for i in inspector.get_indexes("product")}
    assert indexes["ux_product_name"]["unique"]
    assert "ix_product_price" in indexes and "ix_product_category" in indexes


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
