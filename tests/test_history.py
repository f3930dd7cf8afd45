"""History: each write through the model layer leaves a line naming who did what, in its transaction."""

from __future__ import annotations

import pytest

from kit import seed
from kit.auth import save_user
from kit.errors import Changed, Conflict, InUse, ValidationError
from tests.conftest import PASSWORD, csrf_token, log_in, make_app
from tests.test_api import bearer, token_for


def lines(repo, id) -> list[tuple[str, tuple[str, ...], str]]:
    return [(c.action, c.fields, c.by) for c in repo.history(id)]


@pytest.fixture
def shop(app):
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        yield kit_store, kit_store["category"].create({"name": "Kaffee"})


def test_each_write_adds_a_line_newest_first(shop):
    kit_store, coffee = shop
    products = kit_store["product"]
    espresso = products.create({"name": "Espresso", "category": coffee["id"], "price": "2.50"})
    products.update(espresso["id"], {"price": "2.80", "stock": 4, "name": "Espresso"})
    products.update(espresso["id"], {"price": "2.80"})  # the same again: nothing changes
    products.delete(espresso["id"])
    assert lines(products, espresso["id"]) == [
        ("deleted", (), "a command"),
        ("changed", ("price", "stock"), "a command"),
        ("created", (), "a command"),
    ]


def test_a_change_keeps_each_fields_values_before_and_after(shop):
    kit_store, coffee = shop
    products = kit_store["product"]
    tea = kit_store["category"].create({"name": "Tee"})
    espresso = products.create({"name": "Espresso", "category": coffee["id"], "price": "2.50"})
    products.update(
        espresso["id"],
        {"price": "2.80", "stock": 4, "category": tea["id"], "active": False, "description": "Dark."},
    )
    (change, _) = products.history(espresso["id"])
    assert change.fields == ("category", "price", "stock", "active", "description")
    assert change.values == {  # as JSON has them; long text only named
        "category": (coffee["id"], tea["id"]),
        "price": ("2.50", "2.80"),
        "stock": (0, 4),
        "active": (True, False),
    }


def test_hidden_fields_are_named_without_their_values(app):
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        user = save_user("ada@example.com", PASSWORD, "editor")
        save_user("ada@example.com", "another long password", "viewer")
        (change, _) = kit_store["kit_user"].history(user["id"])
    assert "password_hash" in change.fields
    assert change.values == {"role": ("editor", "viewer")}


def test_a_database_made_before_values_and_labels_were_kept_gains_their_columns(tmp_path):
    app = make_app(tmp_path)
    kit_store = app.extensions["kit.store"]
    with kit_store.transaction() as conn:
        conn.exec_driver_sql("ALTER TABLE kit_change DROP COLUMN values_json")
        conn.exec_driver_sql("ALTER TABLE kit_change DROP COLUMN label")
    kit_store.close()
    app = make_app(tmp_path)
    with app.app_context():
        categories = app.extensions["kit.store"]["category"]
        kaffee = categories.create({"name": "Kaffee"})
        categories.update(kaffee["id"], {"name": "Tee"})
        categories.delete(kaffee["id"])
        deleted, changed, _ = categories.history(kaffee["id"])
    assert changed.values == {"name": ("Kaffee", "Tee")} and deleted.label == "Tee"


def test_a_refused_write_leaves_no_line(shop):
    kit_store, coffee = shop
    products, categories = kit_store["product"], kit_store["category"]
    espresso = products.create({"name": "Espresso", "category": coffee["id"], "price": "2.50"})
    with pytest.raises(ValidationError):
        products.update(espresso["id"], {"price": "cheap"})
    with pytest.raises(Changed):
        products.update(espresso["id"], {"price": "3"}, expected_version=espresso["version"] - 1)
    with pytest.raises(InUse):
        categories.delete(coffee["id"])
    with pytest.raises(Conflict):
        categories.create({"name": "Kaffee"})
    assert lines(products, espresso["id"]) == [("created", (), "a command")]
    assert lines(categories, coffee["id"]) == [("created", (), "a command")]
    assert len(kit_store.recent_changes(["product", "category"], limit=100)) == 2


def test_failed_logins_leave_no_lines_however_many_are_guessed(app):
    client = app.test_client()
    for _ in range(3):
        token = csrf_token(client, "/login")
        client.post("/login", data={"email": "ada@example.com", "password": "guess", "csrf_token": token})
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        assert kit_store["kit_login_failure"].count() == 3
        assert kit_store.recent_changes(["kit_login_failure"]) == []


def test_bulk_loads_leave_no_lines_and_the_details_page_says_so(app):
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        seed.load_fake(kit_store, ["category", "product"], 50)
        assert kit_store.recent_changes(["category", "product"]) == []
    details = log_in(app).get("/admin/product/details/?id=1").text
    assert (
        "No changes recorded yet: rows that came with the demo data or a bulk load have none until "
        "someone edits them."
    ) in details


def test_api_writes_name_the_token_owner_or_the_logged_in_user(app):
    client = app.test_client()
    headers = bearer(token_for(app, "editor", "ada@example.com"))
    made = client.post("/api/category", json={"name": "Tee"}, headers=headers).json
    session = log_in(app, "editor", "grace@example.com")
    headers = {"X-CSRFToken": session.get("/api/session").json["csrf_token"]}
    changed = session.patch(f"/api/category/{made['id']}", json={"name": "Grüntee"}, headers=headers)
    assert changed.status_code == 200, changed.json
    with app.app_context():
        assert lines(app.extensions["kit.store"]["category"], made["id"]) == [
            ("changed", ("name",), "grace@example.com"),
            ("created", (), "ada@example.com (API token)"),
        ]


def test_the_api_serves_a_rows_history_to_logins_and_tokens_only(app, client):
    headers = bearer(token_for(app, "viewer"))
    with app.app_context():
        products = app.extensions["kit.store"]["product"]  # public_read: anyone may read the rows
        category = app.extensions["kit.store"]["category"].create({"name": "Kaffee"})
        espresso = products.create({"name": "Espresso", "category": category["id"], "price": "2.50"})
        products.update(espresso["id"], {"price": "2.80"})
    url = f"/api/product/{espresso['id']}/history"
    assert client.get(f"/api/product/{espresso['id']}").status_code == 200
    assert client.get(url).status_code == 401  # the history names people
    lines = client.get(url, headers=headers).json["rows"]
    assert [(line["action"], line["fields"], line["values"], line["by"]) for line in lines] == [
        ("changed", ["price"], {"price": {"before": "2.50", "after": "2.80"}}, "a command"),
        ("created", [], {}, "a command"),
    ]
    assert lines[0]["at"].endswith("Z")
    missing = client.get("/api/product/999/history", headers=headers)
    assert missing.status_code == 404 and missing.json["error"]["message"] == "Product 999 doesn't exist."


def test_a_waitlist_signup_is_made_by_a_visitor(app, client):
    token = csrf_token(client, "/")
    assert client.post("/", data={"email": "zoë@example.com", "csrf_token": token}).status_code == 302
    with app.app_context():
        (change,) = app.extensions["kit.store"].recent_changes(["signup"])
    assert (change.action, change.by) == ("created", "a visitor")


def test_the_dashboard_lists_recent_changes_with_links_but_not_the_kits_own(app):
    admin = log_in(app, "admin", "ada@example.com")  # making the login is a change to kit_user
    with app.app_context():
        categories = app.extensions["kit.store"]["category"]
        kept = categories.create({"name": "Kaffee & <Tee>"})
        gone = categories.create({"name": "Mate"})
        categories.delete(gone["id"])
    html = admin.get("/admin/").text
    recent = html[html.index("Recent changes") :]
    assert f'href="/admin/category/details/?id={kept["id"]}">Category Kaffee &amp; &lt;Tee&gt;</a>' in recent
    assert recent.count("<td>Category Mate</td>") == 2  # made, then deleted: named as it was, no link
    assert recent.count("<tr>") == 4  # the heading and three changes: no line for the login made


def test_the_details_page_shows_values_in_words_and_escaped(app):
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        coffee = kit_store["category"].create({"name": "Kaffee & <Tee>"})
        beans = kit_store["category"].create({"name": "Bohnen"})
        espresso = kit_store["product"].create(
            {
                "name": "Espresso",
                "category": beans["id"],
                "price": "2.50",
                "image_url": "https://x.example/e.png",
            }
        )
        kit_store["product"].update(
            espresso["id"], {"category": coffee["id"], "name": "<b>" + "Ö" * 50, "price": 3, "image_url": ""}
        )
        kit_store["category"].delete(beans["id"])
    html = log_in(app).get(f"/admin/product/details/?id={espresso['id']}").text
    history = html[html.index("History") :]
    assert (
        f"Changed Name (Espresso → &lt;b&gt;{'Ö' * 36}…), Category (Category {beans['id']} → "
        "Kaffee &amp; &lt;Tee&gt;), Price (2.50 → 3.00) and Image URL (https://x.example/e.png → empty)"
    ) in history
