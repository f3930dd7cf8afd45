"""The admin screens, walked for every declared entity of both model sets."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import types
from html import escape, unescape
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest

from kit import admin, fake
from kit.declare import Choice, DateTime, Entity, Integer, Reference, Text
from kit.store import Query
from tests.conftest import MODEL_SETS, csrf_token, csv_text, log_in, make_app

WALKS = [
    (model_set, entity.name)
    for model_set, module in sorted(MODEL_SETS.items())
    for entity in vars(module).values()
    if type(entity).__name__ == "Entity"
]

BAD_VALUES = {
    "integer": ("twelve", "must be a whole number."),
    "money": ("12,5.5.5", "must be an amount like 12.50."),
    "date": ("31/12/2026", "must be a date like 2026-11-26."),
    "datetime": ("tomorrow", "must be a date and time like 2026-11-26 14:30."),
    "email": ("not-an-email", "must be an email address like name@example.com."),
    "url": ("javascript:alert(1)", "must be a web address starting with http:// or https://."),
}


def page_text(response) -> str:
    """What a person reads on the page: tags dropped, whitespace collapsed."""
    text = re.sub(r"<(script|style)\b.*?</\1>|<[^>]+>", " ", response.text, flags=re.S)
    return unescape(re.sub(r"\s+", " ", text))


def fill_references(kit_store, entity) -> dict[str, list[int]]:
    """Rows for everything `entity` refers to, made through the model layer."""
    ids: dict[str, list[int]] = {}
    for other in kit_store.schema.load_order():
        repo = kit_store[other.name]
        refs = {r.name: ids.get(r.to, []) for r in other.references}
        ids[other.name] = [repo.create(fake.row(repo, 1000 + n, refs))["id"] for n in range(2)]
        if other.name == entity.name:
            break
    return {r.name: ids.get(r.to, []) for r in entity.references}


def form_for(repo, row) -> dict[str, str]:
    data = {}
    for name, value in row.items():
        text = fake.form_value(repo.fields[name], value)
        if text or repo.fields[name].kind != "boolean":
            data[name] = text
    return data


def open_entity(tmp_path, model_set, entity_name):
    """An app of `model_set` with an admin logged in and rows for what `entity_name` refers to."""
    app = make_app(tmp_path, MODEL_SETS[model_set])
    repo = app.extensions["kit.store"][entity_name]
    with app.app_context():
        refs = fill_references(app.extensions["kit.store"], repo.entity)
    return app, log_in(app), repo, refs


@pytest.mark.parametrize(("model_set", "entity_name"), WALKS)
def test_admin_walk_create_list_edit_delete(tmp_path, model_set, entity_name):
    app, client, repo, refs = open_entity(tmp_path, model_set, entity_name)
    base = f"/admin/{entity_name}/"
    with app.app_context():
        before = repo.count()

    listing = client.get(base)
    assert listing.status_code == 200
    assert repo.entity.plural in page_text(listing)

    # an invalid form comes back with the sentence beside the field, nothing saved
    token = csrf_token(client, base + "new/")
    row = fake.row(repo, 7, refs)
    bad_field = next(
        f
        for f in repo.entity.fields.values()
        if (f.required and f.kind not in ("boolean", "choice")) or f.kind in BAD_VALUES
    )
    bad_value, problem = BAD_VALUES.get(bad_field.kind, ("", "is required."))
    invalid = {**form_for(repo, row), bad_field.name: bad_value, "csrf_token": token}
    response = client.post(base + "new/", data=invalid)
    assert response.status_code == 200
    text = page_text(response)
    assert f"{bad_field.label} {problem}" in text
    with app.app_context():
        assert repo.count() == before

    # a valid one is saved with exactly the typed values
    response = client.post(base + "new/", data={**form_for(repo, row), "csrf_token": token})
    assert response.status_code == 302, page_text(response)
    with app.app_context():
        assert repo.count() == before + 1
        saved = repo.list(Query(sort="id", desc=True, per_page=1)).rows[0]
    assert {k: saved[k] for k in row} == {k: repo.fields[k].clean(v) for k, v in row.items()}

    details = client.get(f"{base}details/?id={saved['id']}")
    assert details.status_code == 200
    title = repo.fields[repo.entity.title]
    if title.kind in ("text", "email"):
        assert title.format(saved[title.name]) in page_text(details)
    made = r"History When \(UTC\) What Who [\d-]+ [\d:]+ Created admin@example.com"
    assert re.search(made, page_text(details))

    edit_page = client.get(f"{base}edit/?id={saved['id']}")
    assert edit_page.status_code == 200

    changed = fake.row(repo, 8, refs)
    response = client.post(
        f"{base}edit/?id={saved['id']}", data={**form_for(repo, changed), "csrf_token": token}
    )
    assert response.status_code == 302, page_text(response)
    with app.app_context():
        edited = repo.get(saved["id"])
    assert {k: edited[k] for k in changed} == {k: repo.fields[k].clean(v) for k, v in changed.items()}

    response = client.post(base + "delete/", data={"id": saved["id"], "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert repo.count() == before
        history = [(c.action, set(c.fields), c.by) for c in repo.history(saved["id"])]
    differ = {k for k in changed if edited[k] != saved[k]}
    by = "admin@example.com"
    assert history == [("deleted", set(), by), ("changed", differ, by), ("created", set(), by)]
    app.extensions["kit.store"].close()


def shown_text(field, value, kit_store) -> str:
    """A value as the list shows it, in words: references by label, booleans as an icon."""
    if value is None or field.kind == "boolean":
        return ""
    if field.kind == "reference":
        return kit_store[field.to].labels([value])[value]
    return " ".join(field.format(value).split())


@pytest.mark.parametrize(("model_set", "entity_name"), WALKS)
def test_list_page_shows_every_row_with_its_cells_and_links(tmp_path, model_set, entity_name):
    app, client, repo, refs = open_entity(tmp_path, model_set, entity_name)
    kit_store = app.extensions["kit.store"]
    with app.app_context():
        for n in range(3):
            repo.create(fake.row(repo, 50 + n, refs))
        rows = repo.list(Query(per_page=50)).rows
        expected = [
            [(name, shown_text(repo.fields[name], row[name], kit_store)) for name in repo.entity.columns]
            for row in rows
        ]
    list_url = f"/admin/{entity_name}/?page_size=50"
    html = client.get(list_url).text

    table = html[html.index('<table class="table table-striped') :]
    shown = re.findall(r'<input type="checkbox" name="rowid" class="action-checkbox" value="(\d+)"', table)
    assert [int(id) for id in shown] == [row["id"] for row in rows]
    rows_html = table.split("<tr>")[2:]  # after the header's
    cells = [
        [(name, " ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split())) for name, cell in found]
        for found in (
            re.findall(r'<td class="col-(\w+)(?: text-right)?">(.*?)</td>', tr, re.S) for tr in rows_html
        )
    ]
    assert cells == expected
    back = escape(urlencode({"url": list_url}))
    for row in rows:
        for page in ("details", "edit"):
            assert f'href="/admin/{entity_name}/{page}/?id={row["id"]}&amp;{back}"' in table
    app.extensions["kit.store"].close()


@pytest.mark.parametrize("model_set", sorted(MODEL_SETS))
def test_every_admin_url_requires_login(tmp_path, model_set):
    app = make_app(tmp_path, MODEL_SETS[model_set])
    client = app.test_client()
    rules = [
        r for r in app.url_map.iter_rules() if r.rule.startswith("/admin") and "static" not in r.endpoint
    ]
    assert len(rules) > 20
    for rule in rules:
        url = rule.rule.replace("<export_type>", "csv")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in (302, 400), (method, url)
            if response.status_code == 302:
                assert response.location.startswith("/login?next="), (method, url)
    app.extensions["kit.store"].close()


def test_admin_forms_refuse_a_post_without_csrf_token(app, admin_client):
    response = admin_client.post("/admin/category/new/", data={"name": "Forged"})
    assert response.status_code == 400
    assert "The form expired" in page_text(response)
    with app.app_context():
        assert app.extensions["kit.store"]["category"].count() == 0


def make_categories(app, *names):
    with app.app_context():
        repo = app.extensions["kit.store"]["category"]
        return [repo.create({"name": name})["id"] for name in names]


def test_bulk_delete_removes_the_chosen_rows(app, admin_client):
    ids = make_categories(app, "Eins", "Zwei", "Drei")
    token = csrf_token(admin_client, "/admin/category/")
    response = admin_client.post(
        "/admin/category/action/",
        data={"action": "delete", "rowid": [str(ids[0]), str(ids[2])], "csrf_token": token},
    )
    assert response.status_code == 302
    assert "Deleted 2 categories." in page_text(admin_client.get("/admin/category/"))
    with app.app_context():
        assert [r["name"] for r in app.extensions["kit.store"]["category"].list().rows] == ["Zwei"]


def test_deleting_a_referenced_row_is_refused_with_a_message(app, admin_client):
    (coffee,) = make_categories(app, "Kaffee")
    with app.app_context():
        app.extensions["kit.store"]["product"].create({"name": "Mokka", "category": coffee, "price": "3"})
    token = csrf_token(admin_client, "/admin/category/")
    admin_client.post("/admin/category/delete/", data={"id": coffee, "csrf_token": token})
    text = page_text(admin_client.get("/admin/category/"))
    assert "Category can't be deleted: 1 product still refers to it through 'Category'." in text


def test_csv_export_is_safe_to_open_in_a_spreadsheet(app, admin_client):
    make_categories(app, '=HYPERLINK("http://evil")', "+1", "Plain, with comma")
    response = admin_client.get("/admin/category/export/csv/")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(csv_text(response))))
    names = sorted(row[0] for row in rows[1:])
    assert names == ["'+1", '\'=HYPERLINK("http://evil")', "Plain, with comma"]


def test_details_link_to_the_rows_that_refer_to_it_with_their_count(app, admin_client):
    (coffee, tea) = make_categories(app, "Kaffee", "Tee")
    with app.app_context():
        products = app.extensions["kit.store"]["product"]
        made = [products.create({"name": f"Sorte {n}", "category": coffee, "price": "3"}) for n in range(2)]
    html = admin_client.get(f"/admin/category/details/?id={coffee}").text
    referrers = html[html.index("Referred to by") : html.index("History")]
    link = f'href="/admin/product/?flt0_category_equals={coffee}"'
    assert link in referrers and '<span class="badge badge-secondary">2</span>' in referrers
    listed = admin_client.get(f"/admin/product/?flt0_category_equals={coffee}").text
    shown = re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', listed)
    assert {int(id) for id in shown} == {row["id"] for row in made}
    empty = admin_client.get(f"/admin/category/details/?id={tea}").text
    assert "flt0_category_equals" not in empty and '<span class="badge badge-light">0</span>' in empty


def test_details_name_the_field_of_a_self_reference(tmp_path):
    app = make_app(tmp_path, MODEL_SETS["unusual"])
    with app.app_context():
        groups = app.extensions["kit.store"]["group"]
        parent = groups.create(fake.row(groups, 1, {}))
    html = log_in(app).get(f"/admin/group/details/?id={parent['id']}").text
    referrers = html[html.index("Referred to by") : html.index("History")]
    assert "Gruppen (Übergeordnete Gruppe)" in referrers
    app.extensions["kit.store"].close()


def test_list_shows_references_by_label_with_a_link(app, admin_client):
    (coffee,) = make_categories(app, "Kaffee <b>stark</b>")
    with app.app_context():
        app.extensions["kit.store"]["product"].create({"name": "Mokka", "category": coffee, "price": "3"})
    html = admin_client.get("/admin/product/").text
    assert f'href="/admin/category/details/?id={coffee}">Kaffee &lt;b&gt;stark&lt;/b&gt;</a>' in html


def test_reference_select_searches_the_target(app, admin_client):
    make_categories(app, "Kaffee", "Tee", "Kakao")
    response = admin_client.get("/admin/product/ajax/lookup/?name=category&query=ka")
    assert sorted(label for _, label in response.get_json()) == ["Kaffee", "Kakao"]


def test_reference_select_offers_labels_that_start_with_what_was_typed_first(app, admin_client):
    make_categories(app, "Wiener Kaffee", "Kaffee", "Eiskaffee", "kaffeebohnen")
    response = admin_client.get("/admin/product/ajax/lookup/?name=category&query=Kaf")
    labels = [label for _, label in response.get_json()]
    # the label's start, then a word's start, then anywhere
    assert set(labels[:2]) == {"Kaffee", "kaffeebohnen"} and labels[2:] == ["Wiener Kaffee", "Eiskaffee"]


@pytest.mark.parametrize("query", ["", "kaffee"], ids=["everything", "a search"])
def test_reference_select_pages_through_the_target_by_offset(app, admin_client, query):
    make_categories(app, *(f"Kaffee {n:02} – Röstung" for n in range(25)))
    lookup = f"/admin/product/ajax/lookup/?name=category&query={query}"
    first, more = (admin_client.get(f"{lookup}&offset={offset}").get_json() for offset in (0, 10))
    with app.app_context():
        wanted = app.extensions["kit.store"]["category"].list(Query(search=query, per_page=20)).rows
    assert len(first) == len(more) == 10 and not {id for id, _ in first} & {id for id, _ in more}
    assert [id for id, _ in first + more] == [row["id"] for row in wanted]
    between = admin_client.get(f"{lookup}&offset=5&limit=10").get_json()
    assert between == (first + more)[5:15]


def test_search_sort_and_filter_in_the_list(app, admin_client):
    make_categories(app, "Kaffee", "Tee", "Kakao")
    text = page_text(admin_client.get("/admin/category/?search=kaf"))
    assert "Kaffee" in text and "Kakao" not in text
    html = admin_client.get("/admin/category/?sort=0&desc=1").text
    assert html.index("Tee") < html.index("Kakao") < html.index("Kaffee")


def test_the_list_marks_its_own_order_and_sets_numbers_flush_right(app, admin_client):
    html = admin_client.get("/admin/order/").text  # newest first: order="-placed_at"
    header = re.search(r'<th class="column-header col-placed_at">.*?</th>', html, flags=re.S).group(0)
    assert 'class="fa fa-chevron-down text-muted" title="The list\'s own order"' in header
    assert html.count("The list's own order") == 1
    assert '<th class="column-header col-total text-right">' in html
    sorted_html = admin_client.get("/admin/order/?sort=0").text  # sorted by a column: its own arrow only
    assert "The list's own order" not in sorted_html


def test_reference_filter_offers_rows_added_after_start(app, admin_client):
    make_categories(app, "Kaffee")
    admin_client.get("/admin/product/")
    (tea,) = make_categories(app, "Tee")
    html = admin_client.get("/admin/product/").text
    groups = json.loads(re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', html).group(1))
    offered = {item["operation"]: item["options"] for item in groups["Category"]}
    assert [str(tea), "Tee"] in offered["equals"] and [str(tea), "Tee"] in offered["not equal"]


def test_reference_filter_offers_rows_in_the_order_of_their_labels(app, admin_client):
    make_categories(app, "Tee", "äpfel", "Łódź", "Kaffee", "Zimt", "birnen", "Mate")
    groups = filter_groups(admin_client.get("/admin/product/").text)
    offered = {item["operation"]: item["options"] for item in groups["Category"]}
    assert [label for _, label in offered["equals"]] == [
        "äpfel",
        "birnen",
        "Kaffee",
        "Łódź",
        "Mate",
        "Tee",
        "Zimt",
    ]


def test_a_reference_filter_over_many_rows_searches_them(app, admin_client, monkeypatch):
    monkeypatch.setattr(admin, "REFERENCE_OPTIONS", 2)
    tea, *_ = make_categories(app, "Tee <grün>", "Kaffee", "Kakao")
    html = admin_client.get(f"/admin/product/?flt0_category_equals={tea}").text
    groups = json.loads(re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', html).group(1))
    equals = next(item for item in groups["Category"] if item["operation"] == "equals")
    assert equals["options"] is None and equals["type"] == "select2-ajax"
    assert equals["kit_lookup"] == "/admin/product/ajax/lookup/?name=category"
    assert equals["kit_labels"] == {str(tea): "Tee <grün>"}
    assert "<grün>" not in html  # the label travels as JSON, escaped


def test_bad_filter_value_is_reported_not_a_500(app, admin_client):
    response = admin_client.get("/admin/product/?flt0_price_from=cheap")
    assert response.status_code == 200
    assert "Price must be an amount like 12.50; the list is shown without that filter." in page_text(response)


def test_dashboard_counts_every_entity(app, admin_client):
    make_categories(app, "Kaffee", "Tee")
    text = page_text(admin_client.get("/admin/"))
    assert "2 Categories" in text
    for entity in app.extensions["kit.store"].schema.declared:
        assert entity.plural in text


def test_dashboard_counts_the_rows_made_in_the_last_week_and_links_to_them(app, admin_client):
    kaffee, tee, _ = make_categories(app, "Kaffee", "Tee", "Mate")
    with app.app_context():  # two made long ago, as if seeded last month
        table = app.extensions["kit.store"]["category"].table
        conn = app.extensions["kit.store"].connection
        old = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=8)
        conn.execute(table.update().where(table.c.id.in_([kaffee, tee])).values(created_at=old))
        conn.commit()
    dashboard = admin_client.get("/admin/")
    assert "Categories +1 in the last 7 days" in page_text(dashboard)
    assert "Products None in the last 7 days" in page_text(dashboard)
    link = unescape(re.search(r'href="([^"]+)">\+1 in the last 7 days', dashboard.text).group(1))
    listed = page_text(admin_client.get(link))
    assert "List (1)" in listed and "Mate" in listed and "Kaffee" not in listed


def test_viewer_can_read_but_not_change(app):
    (coffee,) = make_categories(app, "Kaffee")
    viewer = log_in(app, "viewer")
    assert viewer.get("/admin/category/").status_code == 200
    assert viewer.get("/admin/users/").status_code == 403
    token = csrf_token(viewer, "/admin/category/")
    viewer.post("/admin/category/new/", data={"name": "Neu", "csrf_token": token})
    viewer.post(f"/admin/category/edit/?id={coffee}", data={"name": "Anders", "csrf_token": token})
    viewer.post("/admin/category/delete/", data={"id": coffee, "csrf_token": token})
    viewer.post("/admin/category/action/", data={"action": "delete", "rowid": [coffee], "csrf_token": token})
    with app.app_context():
        assert [r["name"] for r in app.extensions["kit.store"]["category"].list().rows] == ["Kaffee"]


def test_admin_can_create_a_user_whose_password_is_hashed(app, admin_client):
    token = csrf_token(admin_client, "/admin/users/new/")
    response = admin_client.post(
        "/admin/users/new/",
        data={
            "email": "Neu@Example.com",
            "role": "editor",
            "password": "a long enough pw",
            "active": "y",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = app.extensions["kit.store"]["kit_user"].find("email", "neu@example.com")
    assert user["role"] == "editor"
    assert user["password_hash"].startswith(("scrypt:", "pbkdf2:"))
    assert "a long enough pw" not in user["password_hash"]
    editor = app.test_client()
    token = csrf_token(editor, "/login")
    response = editor.post(
        "/login", data={"email": "neu@example.com", "password": "a long enough pw", "csrf_token": token}
    )
    assert response.status_code == 302


def test_csv_export_streams_every_row_with_reference_labels(app, admin_client, monkeypatch):
    from kit import admin

    monkeypatch.setattr(admin, "EXPORT_BATCH", 2)  # several batches, and a last short one
    (coffee,) = make_categories(app, "Kaffee & Tee")
    with app.app_context():
        for n in range(5):
            app.extensions["kit.store"]["product"].create(
                {
                    "name": f"Sorte {n}",
                    "category": coffee,
                    "price": f"{n}.25",
                    "description": "Zeile 1\nZeile 2",
                }
            )
    rows = list(csv.reader(io.StringIO(csv_text(admin_client.get("/admin/product/export/csv/")))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Name", "Category", "Price"]
    assert sorted(row[0] for row in body) == [f"Sorte {n}" for n in range(5)]
    assert {row[1] for row in body} == {"Kaffee & Tee"}
    assert "1.25" in {row[2] for row in body}
    assert {row[header.index("Description")] for row in body} == {"Zeile 1\nZeile 2"}


def test_a_reference_to_an_entity_without_text_is_picked_by_id(tmp_path):
    from kit.declare import Date, Entity, Integer, Reference

    numbers = type(MODEL_SETS["shop"])("numbers")
    numbers.batch = Entity("batch", Integer("size", required=True), Date("made"))
    numbers.crate = Entity("crate", Reference("batch", required=True), Integer("weight"))
    app = make_app(tmp_path, numbers)
    with app.app_context():
        batches = [app.extensions["kit.store"]["batch"].create({"size": n}) for n in (10, 20, 30)]
    client = log_in(app)
    response = client.get(f"/admin/crate/ajax/lookup/?name=batch&query={batches[1]['id']}")
    assert [row_id for row_id, _ in response.get_json()] == [batches[1]["id"]]
    app.extensions["kit.store"].close()


def test_confirmations_name_the_entity(app, admin_client):
    token = csrf_token(admin_client, "/admin/category/new/")
    admin_client.post("/admin/category/new/", data={"name": "Kräuter", "csrf_token": token})
    assert "Category saved." in page_text(admin_client.get("/admin/category/"))
    admin_client.post("/admin/category/delete/", data={"id": "1", "csrf_token": token})
    assert "Category deleted." in page_text(admin_client.get("/admin/category/"))
    assert "That category doesn't exist (any more)." in page_text(
        admin_client.get("/admin/category/edit/?id=99", follow_redirects=True)
    )


def odd_app(tmp_path):
    """An app whose declarations carry what the admin must show as written: help, defaults, old dates."""
    module = types.ModuleType("odd")
    module.place = Entity("place", Text("name"), plural="Места")
    module.trip = Entity(
        "trip",
        Text("title", help="<b>bold</b> & <i>not</i>"),
        Reference("origin", to="place", default=1),
        DateTime("departed"),
    )
    app = make_app(tmp_path, module)
    with app.app_context():
        app.extensions["kit.store"]["place"].create({"name": "Zürich"})
    return app


def test_help_text_is_shown_as_written_not_as_markup(tmp_path):
    app = odd_app(tmp_path)
    page = log_in(app).get("/admin/trip/new/").text
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;not&lt;/i&gt;" in page and "<b>bold</b>" not in page
    app.extensions["kit.store"].close()


def test_a_new_rows_reference_starts_at_its_declared_default(tmp_path):
    app = odd_app(tmp_path)
    page = log_in(app).get("/admin/trip/new/").text
    field = re.search(r'<input[^>]*id="origin"[^>]*>', page).group(0)
    shown = json.loads(unescape(re.search(r'data-json="([^"]*)"', field).group(1)))
    assert 'value="1"' in field and shown == [1, "Zürich"]
    app.extensions["kit.store"].close()


def test_a_moment_before_the_year_1000_is_shown_and_saved_back_unchanged(tmp_path):
    app = odd_app(tmp_path)
    with app.app_context():
        trip = app.extensions["kit.store"]["trip"].create({"title": "Alt", "departed": "0999-05-06 07:08"})
    client = log_in(app)
    assert "0999-05-06 07:08" in client.get("/admin/trip/").text
    form = client.get(f"/admin/trip/edit/?id={trip['id']}").text
    assert 'value="0999-05-06T07:08:00"' in form
    with app.app_context():
        assert fake.form_value(app.extensions["kit.store"]["trip"].fields["departed"], trip["departed"]) == (
            "0999-05-06T07:08"
        )
    app.extensions["kit.store"].close()


def test_an_export_keeps_a_plural_beyond_ascii_in_its_file_name(tmp_path):
    app = odd_app(tmp_path)
    response = log_in(app).get("/admin/place/export/csv/")
    disposition = response.headers["Content-Disposition"]
    assert re.match(
        r"attachment; filename=place_\d{4}-\d\d-\d\d_[\d-]+\.csv; filename\*=UTF-8''%D0%9C", disposition
    )
    app.extensions["kit.store"].close()


class FormReader(HTMLParser):
    """What a browser would submit from a page's admin form: each field's shown value."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.options: dict[str, list[tuple[str, str]]] = {}
        self.select: str | None = None
        self.option: dict[str, str | None] | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "checkbox"):
            self.values.setdefault(name, attrs.get("value") or "")
        elif tag == "input" and name and "checked" in attrs:
            self.values[name] = attrs.get("value") or "y"
        elif tag == "select" and name:
            self.select = name
            self.options[name] = []
        elif tag == "option" and self.select:
            self.option = attrs
            self.options[self.select].append((attrs.get("value") or "", ""))
            if "selected" in attrs or self.select not in self.values:
                self.values[self.select] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self.textarea = name
            self.values[name] = ""

    def handle_data(self, data):
        if self.textarea:
            self.values[self.textarea] += data
        if self.option is not None and self.select:
            value, text = self.options[self.select][-1]
            self.options[self.select][-1] = (value, text + data)

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "option":
            self.option = None
        elif tag == "textarea":
            self.textarea = None


def read_form(html: str) -> FormReader:
    form = re.search(r'<form[^>]*class="[^"]*admin-form.*?</form>', html, flags=re.S).group(0)
    reader = FormReader()
    reader.feed(form)
    reader.values.pop("_continue_editing", None)
    reader.values.pop("_add_another", None)
    return reader


@pytest.mark.parametrize(("model_set", "entity_name"), WALKS)
def test_an_edit_form_saved_as_opened_changes_nothing(tmp_path, model_set, entity_name):
    app, client, repo, refs = open_entity(tmp_path, model_set, entity_name)
    with app.app_context():
        row = repo.create(fake.row(repo, 7, refs))
        moments = {n: "2026-11-20T14:34:08Z" for n, f in repo.entity.fields.items() if f.kind == "datetime"}
        if moments:
            row = repo.update(row["id"], moments)
    page = client.get(f"/admin/{entity_name}/edit/?id={row['id']}").text
    for name in moments:
        assert re.search(rf'<input[^>]*id="{name}"[^>]*step="1"[^>]*value="2026-11-20T14:34:08"', page)
    response = client.post(f"/admin/{entity_name}/edit/?id={row['id']}", data=read_form(page).values)
    assert response.status_code == 302, page_text(response)
    with app.app_context():
        assert repo.get(row["id"]) == row  # seconds and version too
    app.extensions["kit.store"].close()


def make_orders(app, *placed_at):
    """Orders of one customer, one a time given."""
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        customer = kit_store["customer"].create({"name": "Zoë Müller", "email": "zoe@example.com"})
        return [
            kit_store["order"].create(
                {"number": f"B€-{n}", "customer": customer["id"], "placed_at": at, "total": "12.50"}
            )["id"]
            for n, at in enumerate(placed_at)
        ]


def orders_placed(admin_client, arg: str, value: str) -> set[int]:
    """The ids the order list shows under one filter of its time."""
    html = admin_client.get("/admin/order/?" + urlencode({f"flt0_placed_at_{arg}": value})).text
    return {int(id) for id in re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', html)}


@pytest.mark.parametrize(
    ("arg", "value", "shown"),
    [
        ("equals", "2026-11-20 16:32:00", [0]),
        ("equals", "2026-11-20 16:32", [0]),
        ("equals", "2026-11-20 16:32:33", [0]),
        ("equals", "2026-11-20 16:32:34", []),
        ("to", "2026-11-20 16:32:00", [0]),
        ("greater_than", "2026-11-20 16:32:00", [1]),
        ("from", "2026-11-20 16:32:00", [0, 1]),
        ("less_than", "2026-11-20 16:33:00", [0]),
    ],
)
def test_a_time_filter_given_to_the_minute_means_that_whole_minute(app, admin_client, arg, value, shown):
    ids = make_orders(app, "2026-11-20 16:32:33", "2026-11-20 16:33:05")
    assert orders_placed(admin_client, arg, value) == {ids[n] for n in shown}


@pytest.mark.parametrize(
    ("arg", "value", "shown"),
    [
        ("to", "2026-11-20", [0, 1]),
        ("equals", "2026-11-20", [0, 1]),
        ("greater_than", "2026-11-20", [2]),
        ("from", "2026-11-21", [2]),
        ("less_than", "2026-11-21", [0, 1]),
        ("to", "2026-11-20 00:00", []),  # a time given is that minute, even at midnight
    ],
)
def test_a_time_filter_given_a_day_alone_means_that_whole_day(app, admin_client, arg, value, shown):
    ids = make_orders(app, "2026-11-20 00:05", "2026-11-20 23:59:30", "2026-11-21 00:00")
    assert orders_placed(admin_client, arg, value) == {ids[n] for n in shown}


def filter_groups(html: str) -> dict:
    return json.loads(
        unescape(re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', html).group(1))
    )


@pytest.mark.parametrize("model_set", sorted(MODEL_SETS))
def test_filter_urls_are_named_after_the_field_whatever_its_label(tmp_path, model_set):
    app = make_app(tmp_path, MODEL_SETS[model_set])
    client = log_in(app)
    for repo in app.extensions["kit.store"]:
        if repo.name.startswith("kit_"):
            continue
        names = {admin.shown_label(f): name for name, f in repo.fields.items()}
        groups = filter_groups(client.get(f"/admin/{repo.name}/").text)
        args = [item["arg"] for items in groups.values() for item in items]
        expected = [
            f"{names[label]}_{item['operation'].replace(' ', '_')}"
            for label, items in groups.items()
            for item in items
        ]
        assert args == expected and len(set(args)) == len(args)
    app.extensions["kit.store"].close()


def people_app(tmp_path):
    """An app whose labels are all beyond ASCII, with rows in two cities."""
    module = types.ModuleType("people")
    module.person = Entity(
        "person",
        Text("city", label="Город"),
        Integer("age", label="Возраст"),
        Choice("status", ["new", "paid"], label="Статус"),
        label="Человек",
        plural="Люди",
    )
    app = make_app(tmp_path, module)
    with app.app_context():
        for city, age in (("Казань", 30), ("Москва", 40)):
            app.extensions["kit.store"]["person"].create({"city": city, "age": age, "status": "new"})
    return app


@pytest.mark.parametrize(("arg", "value"), [("city_equals", "Казань"), ("age_equals", "30")])
def test_a_filter_on_a_label_beyond_ascii_filters(tmp_path, arg, value):
    app = people_app(tmp_path)
    text = page_text(log_in(app).get("/admin/person/?" + urlencode({f"flt0_{arg}": value})))
    assert "Казань" in text and "Москва" not in text
    assert "shown without" not in text
    app.extensions["kit.store"].close()


def test_a_filter_link_named_after_an_ascii_label_still_works(app, admin_client):
    ids = make_orders(app, "2026-11-20 16:32:33", "2026-11-21 09:00:00")
    html = admin_client.get("/admin/order/?flt0_placed_equals=2026-11-21+09:00").text
    listed = {int(id) for id in re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', html)}
    assert listed == {ids[1]}


def test_a_stored_choice_no_longer_an_option_survives_saving_other_fields(tmp_path):
    app = people_app(tmp_path)
    repo = app.extensions["kit.store"]["person"]
    with app.app_context(), app.extensions["kit.store"].transaction() as conn:
        conn.execute(repo.table.update().values(status="old"))  # an option since removed
    client = log_in(app)
    page = client.get("/admin/person/edit/?id=1").text
    form = read_form(page)
    assert ("old", "old (no longer an option)") in form.options["status"]
    assert form.values["status"] == "old"
    response = client.post("/admin/person/edit/?id=1", data={**form.values, "age": "31"})
    assert response.status_code == 302, page_text(response)
    with app.app_context():
        row = repo.get(1)
    assert (row["status"], row["age"]) == ("old", 31)
    app.extensions["kit.store"].close()


def test_an_empty_new_user_form_names_every_missing_field(app, admin_client):
    token = csrf_token(admin_client, "/admin/users/new/")
    text = page_text(admin_client.post("/admin/users/new/", data={"csrf_token": token}))
    assert "Not saved: please correct the fields marked below." in text
    assert "Email is required." in text and "Password is required." in text
    short = page_text(admin_client.post("/admin/users/new/", data={"csrf_token": token, "password": "kurz"}))
    assert (
        "Email is required." in short
        and f"Password must have at least {admin.MIN_PASSWORD} characters." in short
    )


def test_a_new_user_needs_a_password_and_an_edit_may_keep_it(app, admin_client):
    new = admin_client.get("/admin/users/new/").text
    label = re.search(r'<label for="password".*?</label>', new, flags=re.S).group(0)
    assert 'class="text-danger">&#42;</strong>' in label
    assert f"At least {admin.MIN_PASSWORD} characters." in new and "keep" not in page_text(
        admin_client.get("/admin/users/new/")
    )
    with app.app_context():
        someone = app.extensions["kit.store"]["kit_user"].list().rows[0]["id"]
    edit = admin_client.get(f"/admin/users/edit/?id={someone}").text
    label = re.search(r'<label for="password".*?</label>', edit, flags=re.S).group(0)
    assert "text-danger" not in label
    assert "leave it empty to keep the current one" in edit


def test_a_reference_filter_on_a_missing_row_says_so(app, admin_client):
    make_orders(app, "2026-11-20 16:32:33")
    html = admin_client.get("/admin/order/?flt0_customer_equals=999999").text
    equals = next(item for item in filter_groups(html)["Customer"] if item["operation"] == "equals")
    assert equals["options"][-1] == ["999999", "999999 (doesn't exist)"]
    assert "No orders match this filter." in page_text(
        admin_client.get("/admin/order/?flt0_customer_equals=999999")
    )


@pytest.mark.parametrize(
    ("model_set", "query", "said"),
    [
        ("shop", "search=nothingmatches", "No orders match this search. Show all orders"),
        ("shop", "flt0_total_from=1000", "No orders match this filter. Show all orders"),
        (
            "shop",
            "search=x&flt0_total_from=1000&flt1_total_to=2",
            "No orders match this search and these filters.",
        ),
        ("unusual", "search=nichts", "No Bestellungen match this search. Show all Bestellungen"),
    ],
)
def test_an_empty_list_says_whether_the_search_or_filters_left_nothing(tmp_path, model_set, query, said):
    app, client, repo, refs = open_entity(tmp_path, model_set, "order")
    with app.app_context():
        repo.create(fake.row(repo, 7, refs))
    text = page_text(client.get(f"/admin/order/?{query}"))
    assert said in text and "List (0)" in text
    app.extensions["kit.store"].close()


def test_an_empty_list_without_search_says_there_is_nothing_yet(app, admin_client):
    text = page_text(admin_client.get("/admin/order/"))
    assert "There are no orders yet." in text and "List (0)" in text


def test_a_page_past_the_end_says_so_and_leads_back_to_the_first(tmp_path):
    app, client, repo, refs = open_entity(tmp_path, "shop", "order")
    with app.app_context():
        for n in range(3):
            repo.create(fake.row(repo, n, refs))
        total = repo.count()
    text = page_text(client.get("/admin/order/?page=50"))
    assert f"This page is past the end of the {total} orders listed. Back to page 1" in text
    assert f"List ({total})" in text
    app.extensions["kit.store"].close()


@pytest.mark.parametrize(
    ("value", "said"),
    [("abc", "Total must be an amount like 12.50"), ("50,5", "Total must be an amount like 12.50")],
)
def test_a_bad_filter_value_is_refused_in_the_fields_own_words(app, admin_client, value, said):
    make_orders(app, "2026-11-20 16:32:33")
    text = page_text(admin_client.get("/admin/order/?" + urlencode({"flt0_total_from": value})))
    assert f"{said}; the list is shown without that filter." in text
    assert "Invalid Filter Value" not in text


@pytest.mark.parametrize(("path", "status"), [("/admin/users/", 403), ("/admin/nope/", 404)])
def test_an_error_inside_the_admin_leads_back_to_it(app, path, status):
    response = log_in(app, "viewer").get(path)
    assert response.status_code == status
    assert '<a href="/admin/">Back to the admin</a>' in response.text


def test_an_error_outside_the_admin_leads_home_only(client):
    response = client.get("/nope")
    assert response.status_code == 404 and "Back to the admin" not in response.text


@pytest.mark.parametrize("page", ["new/", "edit/?id=1"])
def test_a_viewer_sent_back_from_a_form_is_told_why(app, page):
    make_categories(app, "Kaffee")
    text = page_text(log_in(app, "viewer").get(f"/admin/category/{page}", follow_redirects=True))
    assert "Your role (viewer) can read but not change data; ask an admin." in text


def test_sentences_keep_labels_as_declared(tmp_path):
    app, client, repo, refs = open_entity(tmp_path, "unusual", "order")
    page = client.get("/admin/order/new/").text
    assert 'data-placeholder="Search Gruppen…"' in page
    with app.app_context():
        groups = [
            app.extensions["kit.store"]["group"].create({"select": f"Gruppe {n}"})["id"] for n in (1, 2)
        ]
    token = csrf_token(client, "/admin/group/")
    client.post("/admin/group/action/", data={"action": "delete", "rowid": groups, "csrf_token": token})
    assert "Deleted 2 Gruppen." in page_text(client.get("/admin/group/"))
    assert "That Gruppe doesn't exist (any more)." in page_text(
        client.get("/admin/group/edit/?id=99", follow_redirects=True)
    )
    app.extensions["kit.store"].close()


def test_sentences_lower_case_the_nouns_the_kit_made(app, admin_client):
    assert 'data-placeholder="Search categories…"' in admin_client.get("/admin/product/new/").text
    assert 'placeholder="Search Email, What would you use it for?"' in admin_client.get("/admin/signup/").text


def test_admin_times_say_they_are_utc(app, admin_client):
    make_orders(app, "2026-11-20 16:32:33")
    assert "Placed (UTC)" in page_text(admin_client.get("/admin/order/"))
    assert "Placed (UTC)" in page_text(admin_client.get("/admin/order/details/?id=1"))
    assert "Time in UTC." in page_text(admin_client.get("/admin/order/edit/?id=1"))
