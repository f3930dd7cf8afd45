"""Output: what users typed comes back escaped, CSV opens safely in a spreadsheet, redirects stay here.

Issue 4, group 5. Every text field of every entity of both model sets is filled with markup
payloads and read back through the admin's list, details and edit pages, its messages and
its CSV export.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from urllib.parse import quote

import pytest
from markupsafe import escape

from kit import fake
from kit.auth import save_user
from tests.conftest import MODEL_SETS, PASSWORD, csrf_token, csv_text, log_in, make_app
from tests.test_admin import fill_references, page_text
from tests.test_security_accounts_roles import EVERY_ENTITY, open_entity

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</textarea><script>alert(2)</script>",
    "{{ 7*7 }}<b>ü</b>",
]
FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", '=HYPERLINK("http://evil.example")']
TEXT_KINDS = ("text", "longtext")


@pytest.fixture
def entity(tmp_path, request):
    """(app, admin client, repo, refs) for one entity of one model set."""
    app, repo, refs = open_entity(tmp_path, request.param)
    yield app, log_in(app), repo, refs
    app.extensions["kit.store"].close()


def with_text(repo, refs, n: int, text: str) -> dict:
    """A valid row whose every visible text field holds `text` (cut to the field's length)."""
    row = fake.row(repo, n, refs)
    for field in repo.entity.fields.values():
        if field.kind in TEXT_KINDS and not field.hidden:
            row[field.name] = (text + f" {n}")[: field.max_length]
    return row


def text_fields(repo) -> list:
    return [f for f in repo.entity.fields.values() if f.kind in TEXT_KINDS and not f.hidden]


@EVERY_ENTITY
def test_typed_markup_is_shown_escaped_in_list_details_and_form(entity):
    app, client, repo, refs = entity
    if not text_fields(repo):
        pytest.skip(f"{repo.name} has no text field")
    base = f"/admin/{repo.name}/"
    for n, payload in enumerate(PAYLOADS):
        with app.app_context():
            saved = repo.create(with_text(repo, refs, n, payload))
        typed = [saved[f.name] for f in text_fields(repo)]
        for url in (base, f"{base}details/?id={saved['id']}", f"{base}edit/?id={saved['id']}"):
            html = client.get(url).text
            for value in typed:
                assert value not in html, (url, value)
            assert any(str(escape(value)) in html for value in typed), url


@EVERY_ENTITY
def test_a_refusal_that_repeats_typed_markup_shows_it_escaped(entity):
    app, client, repo, refs = entity
    unique = next((f for f in text_fields(repo) if f.unique), None)
    if unique is None:
        pytest.skip(f"{repo.name} has no unique text field")
    payload = PAYLOADS[1]
    with app.app_context():
        first = repo.create(with_text(repo, refs, 1, payload))
    token = csrf_token(client, f"/admin/{repo.name}/new/")
    form = {
        name: fake.form_value(repo.fields[name], value)
        for name, value in first.items()
        if name in repo.entity.fields
    }
    form = {k: v for k, v in form.items() if v or repo.fields[k].kind != "boolean"}
    response = client.post(f"/admin/{repo.name}/new/", data={**form, "csrf_token": token})
    assert response.status_code == 200
    assert "is already taken" in page_text(response)
    assert payload not in response.text
    assert str(escape(payload)) in response.text


@pytest.mark.parametrize(
    "query",
    [
        "flt0_<script>alert(1)</script>=1",
        "sort=<img src=x onerror=alert(1)>",
        "page_size=<svg onload=alert(1)>",
        "flt0_price_from=<script>alert(1)</script>",
        "search=<script>alert(1)</script>",
    ],
)
def test_list_messages_that_quote_the_url_escape_it(admin_client, query):
    response = admin_client.get("/admin/product/?" + quote(query, safe="=_"))
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert "<img src=x onerror" not in response.text and "<svg onload" not in response.text


def test_login_form_shows_the_typed_email_escaped(client):
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": '"><script>alert(1)</script>', "password": "x", "csrf_token": token}
    )
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text or "&#34;&gt;&lt;script" in response.text


def test_waitlist_shows_the_typed_values_escaped(client):
    token = csrf_token(client, "/")
    data = {"email": PAYLOADS[1], "comment": PAYLOADS[0], "csrf_token": token}
    response = client.post("/", data=data)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text and "<img src=x onerror" not in response.text


def test_error_pages_escape_what_the_url_carried(admin_client):
    for url in ("/admin/product/details/?id=<script>alert(1)</script>", "/<script>alert(1)</script>"):
        response = admin_client.get(url, follow_redirects=True)
        assert "<script>alert(1)</script>" not in response.text


# == CSV =======================================================================


@EVERY_ENTITY
def test_csv_export_never_starts_a_text_cell_with_a_formula(entity):
    app, client, repo, refs = entity
    if not text_fields(repo):
        pytest.skip(f"{repo.name} has no text field")
    with app.app_context():
        for n, formula in enumerate(FORMULAS):
            repo.create(with_text(repo, refs, n, formula))
    response = client.get(f"/admin/{repo.name}/export/csv/")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(csv_text(response))))
    labels = table[0]
    for line in table[1:]:
        for label, cell in zip(labels, line, strict=True):
            kind = next(f.kind for f in repo.fields.values() if f.label == label)
            if kind not in ("integer", "money"):
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (label, cell)
    texts = {cell for line in table[1:] for cell in line}
    assert any(cell.startswith("'=1+1") for cell in texts)


def test_csv_export_keeps_negative_numbers_numbers(tmp_path):
    app = make_app(tmp_path, MODEL_SETS["unusual"])
    client = log_in(app)
    kit_store = app.extensions["kit.store"]
    with app.app_context():
        repo = kit_store["wide"]
        row = fake.row(repo, 1, fill_references(kit_store, repo.entity))
        repo.create({**row, "i1": -5, "m1": "-1234.50", "t2": "-5"})
    table = list(csv.DictReader(io.StringIO(csv_text(client.get("/admin/wide/export/csv/")))))
    kit_store.close()
    assert (table[0]["I1"], table[0]["M1"], table[0]["T2"]) == ("-5", "-1234.50", "'-5")


def test_csv_export_of_a_reference_escapes_the_referenced_title(app, admin_client):
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        category = kit_store["category"].create({"name": "=cmd|' /C calc'!A0"})
        kit_store["product"].create({"name": "Mokka", "category": category["id"], "price": "3"})
    table = list(csv.DictReader(io.StringIO(csv_text(admin_client.get("/admin/product/export/csv/")))))
    assert table[0]["Category"] == "'=cmd|' /C calc'!A0"


# == REDIRECTS =================================================================

OFF_SITE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\t/evil.example/",
    "javascript:alert(1)",
    "java\tscript:alert(1)",
    "https:evil.example",
    "http:evil.example",  # Flask-Admin reads these as paths on this host; browsers leave for evil
    "http:/evil.example",
    "https:/evil.example",
]


SITES = ("http://localhost", "https://localhost")


def assert_stays_here(location: str, where: str) -> None:
    """A redirect to a path on this site, never to another host or a script."""
    assert location.startswith("/") and not location.startswith(("//", "/\\")), (where, location)
    assert "evil" not in location and "javascript" not in location, (where, location)


@pytest.mark.parametrize("target", OFF_SITE)
def test_admin_return_urls_never_lead_off_the_site(app, admin_client, target):
    with app.app_context():
        category = app.extensions["kit.store"]["category"].create({"name": "Kaffee"})
    token = csrf_token(admin_client, "/admin/category/")
    url = quote(target, safe="")
    posts = [
        (f"/admin/category/new/?url={url}", {"name": "Tee"}),
        (f"/admin/category/edit/?id={category['id']}&url={url}", {"name": "Kaffee!"}),
        ("/admin/category/action/", {"action": "delete", "rowid": [category["id"]], "url": target}),
    ]
    for path, data in posts:
        response = admin_client.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 302, path
        assert_stays_here(response.headers["Location"], path)
    response = admin_client.post(
        "/admin/category/delete/", data={"id": 999, "url": target, "csrf_token": token}
    )
    assert "evil" not in response.headers["Location"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_admin_pages_opened_with_a_return_url_never_lead_off_the_site(app, target):
    admin, viewer = log_in(app), log_in(app, "viewer")
    url = quote(target, safe="")
    gets = [
        (admin, f"/admin/category/details/?id=0&url={url}"),  # a row that doesn't exist
        (admin, f"/admin/category/edit/?url={url}"),  # no id at all
        (admin, f"/admin/users/details/?id=0&url={url}"),
        (admin, f"/admin/tokens/edit/?id=1&url={url}"),  # tokens are never edited
        (viewer, f"/admin/category/new/?url={url}"),  # a role that can't create
    ]
    for (client, path), site in itertools.product(gets, SITES):  # Flask-Admin checks the scheme too
        response = client.get(path, base_url=site)
        assert response.status_code == 302, path
        assert_stays_here(response.headers["Location"], path)
    for path, site in itertools.product(
        ("/admin/category/new/", "/admin/users/new/", "/admin/tokens/new/"), SITES
    ):
        page = admin.get(f"{path}?url={url}", base_url=site)
        assert page.status_code == 200, path
        links = re.findall(r'<a href="([^"]*)"[^>]*>\s*(Cancel|List)', page.text)
        assert {text for _, text in links} == {"Cancel", "List"}, path
        for href, _ in links:
            assert_stays_here(href, path)


@pytest.mark.parametrize("target", OFF_SITE)
def test_a_return_url_carried_through_the_login_never_leads_off_the_site(app, client, target):
    with app.app_context():
        save_user("viewer@example.com", PASSWORD, "viewer")
    wanted = f"/admin/category/details/?id=0&url={quote(target, safe='')}"
    token = csrf_token(client, "/login")
    form = {"email": "viewer@example.com", "password": PASSWORD, "csrf_token": token}
    response = client.post(f"/login?next={quote(wanted, safe='')}", data=form)
    assert response.headers["Location"] == wanted
    response = client.get(wanted)
    assert response.status_code == 302
    assert_stays_here(response.headers["Location"], wanted)
