"""The example single-page app: list, create, edit and delete through the JSON API, as a person does."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kit.errors import NotFound
from tests.browser.conftest import LiveApp, answering, log_in, screenshot, settled

pytestmark = pytest.mark.browser


def open_app(page: Page, live: LiveApp, entity: str) -> None:
    page.goto(f"{live.url}/static/spa/index.html?entity={entity}")
    expect(page.locator("#who")).to_have_text("admin@example.com (admin)")
    expect(page.locator("#entity")).to_have_value(entity)
    expect(page.locator("#page")).to_contain_text("rows")  # the entity's first page is in
    settled(page)


def notice(page: Page) -> Any:
    """The message line at the top, to wait for."""
    return expect(page.locator("#notice"))


def test_the_example_app_creates_edits_and_deletes_a_row(serve, page, problems):
    live = serve()
    log_in(page, live)
    open_app(page, live, "product")

    page.get_by_role("button", name="New").click()
    page.locator("#field-name").fill("Oak Board")
    page.locator("#field-price").fill("12,5")
    with problems.expecting(400):
        page.get_by_role("button", name="Create").click()
        expect(page.locator("#error-price")).to_have_text("Price must be an amount like 12.50.")
        expect(page.locator("#error-category")).to_have_text("Category is required.")

    page.locator("#field-price").fill("12.50")
    page.locator("#field-category").select_option(label="Woodwork")
    page.get_by_role("button", name="Create").click()
    notice(page).to_have_text("Oak Board saved.")
    with live.store() as kit_store:
        saved = kit_store["product"].find("name", "Oak Board")
        assert str(saved["price"]) == "12.50"
        assert kit_store["category"].get(saved["category"])["name"] == "Woodwork"

    expect(page.get_by_role("button", name="Save")).to_be_visible()  # the form, made again for the row
    page.locator("#field-stock").fill("7")
    with page.expect_response(lambda response: response.request.method == "PATCH"):
        page.get_by_role("button", name="Save").click()
    notice(page).to_have_text("Oak Board saved.")
    lines = page.locator("#history-lines li")  # newest first, each by who is logged in
    expect(lines).to_have_count(2)
    changed = r"^[\d-]+ [\d:]+ UTC · changed Stock \(0 → 7\) · admin@example\.com$"
    expect(lines.nth(0)).to_have_text(re.compile(changed))
    expect(lines.nth(1)).to_have_text(re.compile(r" · created · admin@example\.com$"))
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "api-example-app")
    with live.store() as kit_store:
        assert kit_store["product"].get(saved["id"])["stock"] == 7

    with answering(page) as asked:
        page.get_by_role("button", name="Delete").click()
        notice(page).to_have_text("Oak Board deleted.")
    assert asked == ["Delete Oak Board?"]
    with live.store() as kit_store:
        assert kit_store["product"].find("name", "Oak Board") is None


def test_the_example_app_refuses_to_save_over_a_newer_edit(serve, page, problems):
    live = serve()
    with live.store() as kit_store:  # first by name, and no product refers to it: it may be deleted
        id = kit_store["category"].create({"name": "Ältere Sorten"})["id"]
    log_in(page, live)
    open_app(page, live, "category")
    page.locator(f'#rows tbody tr[data-id="{id}"]').click()
    expect(page.locator("#editor-title")).to_have_text("Edit Ältere Sorten")

    with live.store() as kit_store:  # someone else saves the row meanwhile
        kit_store["category"].update(id, {"name": "Renamed meanwhile"})
    page.locator("#field-name").fill("Mine")
    with problems.expecting(412):
        page.get_by_role("button", name="Save").click()
        notice(page).to_contain_text("This record changed since you opened it. Nothing was saved")
    expect(page.locator("#error-name")).to_have_text("Name is now Renamed meanwhile.")
    expect(page.locator("#field-name")).to_have_value("Mine")  # what was typed is kept
    expect(page.locator("#rows tbody")).to_contain_text("Renamed meanwhile")  # the list, as it is now
    with live.store() as kit_store:
        assert kit_store["category"].get(id)["name"] == "Renamed meanwhile"

    page.get_by_role("button", name="Save").click()  # seen the change: save over it
    notice(page).to_have_text("Mine saved.")
    with live.store() as kit_store:
        assert kit_store["category"].get(id)["name"] == "Mine"
        kit_store["category"].update(id, {"name": "Renamed again"})
    with problems.expecting(412):
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Delete").click()
        notice(page).to_contain_text("Nothing was deleted")
    expect(page.locator("#field-name")).to_have_value("Renamed again")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    notice(page).to_have_text("Renamed again deleted.")
    with live.store() as kit_store, pytest.raises(NotFound):
        kit_store["category"].get(id)
