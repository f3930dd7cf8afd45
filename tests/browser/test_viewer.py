"""A viewer walks every admin screen and finds no way to change data."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kit.store import Query
from tests.browser.conftest import expect_count, log_in, open_list, settled
from tests.conftest import MODEL_SETS
from tests.test_admin import WALKS

pytestmark = pytest.mark.browser

CHANGES = ("Create", "Edit", "With selected")
"""Links and menus that change data; a viewer sees none of them."""


def post(page: Page, path: str, fields: dict[str, Any]) -> None:
    """Send a form the way the page's own forms do (with its CSRF token), as a tester with devtools could."""
    with page.expect_navigation():
        page.evaluate(
            """([path, fields]) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = path;
                const token = document.querySelector("input[name=csrf_token]").value;
                for (const [name, value] of Object.entries({...fields, csrf_token: token})) {
                    const input = document.createElement("input");
                    input.name = name;
                    input.value = value;
                    form.append(input);
                }
                document.body.append(form);
                form.submit();
            }""",
            [path, fields],
        )
    settled(page)


def expect_no_changing_controls(page: Page) -> None:
    for name in CHANGES:
        expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    row_controls = "input.action-checkbox, [title='Edit Record'], [title='Delete Record']"
    expect(page.locator(row_controls)).to_have_count(0)
    # the only form that posts is the logout button
    expect(page.locator("form[method=post i]:not([action$='/logout'])")).to_have_count(0)


@pytest.mark.parametrize(("model_set", "entity_name"), WALKS)
def test_viewer_walk_changes_nothing(serve, page, model_set, entity_name):
    live = serve(MODEL_SETS[model_set])
    with live.store() as kit_store:
        repo = kit_store[entity_name]
        before = repo.list(Query(sort="id", per_page=1000)).rows
    entity, total, first = repo.entity, len(before), before[0]
    base = f"/admin/{entity_name}/"

    log_in(page, live, "viewer")
    expect(page.locator(".navbar").get_by_role("link", name="Users")).to_have_count(0)
    open_list(page, entity.plural)
    expect_count(page, total)
    expect_no_changing_controls(page)

    # reading works: search, sort, details, export
    if entity.search:
        page.get_by_placeholder("Search ").fill(str(first[entity.search[0]] or ""))
        page.get_by_placeholder("Search ").press("Enter")
        expect(page.locator("table.model-list")).to_be_visible()
        settled(page)
    page.locator("table.model-list th a[title^='Sort by']").first.click()
    expect(page.locator("table.model-list th .fa-chevron-up")).to_be_visible()
    settled(page)
    page.get_by_title("View Record").first.click()
    expect(page.locator(".nav-tabs .nav-link.active")).to_have_text("Details")
    settled(page)
    expect_no_changing_controls(page)

    # typing the URLs of the forms leads back to the list
    for path in (base + "new/", f"{base}edit/?id={first['id']}"):
        page.goto(live.url + path)
        expect(page.locator("form.admin-form")).to_have_count(0)
        settled(page)

    # and forms sent anyway change nothing
    open_list(page, entity.plural)
    values = {name: "" for name in entity.fields}
    post(page, base + "new/", values)
    post(page, f"{base}edit/?id={first['id']}", values)
    post(page, base + "delete/", {"id": first["id"]})
    post(page, base + "action/", {"action": "delete", "rowid": first["id"]})
    with live.store():
        assert repo.list(Query(sort="id", per_page=1000)).rows == before
    open_list(page, entity.plural)
    expect_count(page, total)


def test_viewer_is_refused_the_users_page(serve, page, problems):
    live = serve()
    log_in(page, live, "viewer")
    with problems.expecting(403):
        page.goto(live.url + "/admin/users/")
        expect(page.get_by_text("Your role can't open this page; ask an admin.")).to_be_visible()
        settled(page)
