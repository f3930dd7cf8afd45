"""A reference filter over more rows than a menu can list: a tester types and picks from the matches."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kit import admin
from kit.store import Filter, Query
from tests.browser.conftest import PHONE, expect_count, log_in, open_list, settled

pytestmark = pytest.mark.browser


def test_a_reference_filter_over_many_rows_searches_them(serve, page, monkeypatch):
    monkeypatch.setattr(admin, "REFERENCE_OPTIONS", 3)  # the demo's ten categories are "many"
    live = serve()
    with live.store() as kit_store:
        ceramics = kit_store["category"].find("name", "Ceramics")
        wanted = kit_store["product"].count(Query(filters=[Filter("category", "eq", ceramics["id"])]))
    log_in(page, live)
    open_list(page, "Products")

    page.get_by_role("link", name="Add Filter").click()
    page.locator("a.filter", has_text="Category").click()
    page.locator(".filters .select2-container").last.click()
    page.keyboard.type("cer")
    expect(page.locator(".select2-results li")).to_have_text(["Ceramics"])
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Apply").click()
    settled(page)

    expect_count(page, wanted)
    expect(page.locator("table.model-list td.col-category")).to_have_text(["Ceramics"] * wanted)
    # after the reload the filter still names what it filters by
    expect(page.locator(".filters .select2-chosen").last).to_have_text("Ceramics")


def test_filter_rows_fit_a_phone(serve, page):
    live = serve()
    page.set_viewport_size(PHONE)
    log_in(page, live)
    page.goto(live.url + "/admin/order/")
    settled(page)
    for label in ("Customer", "Placed (UTC)"):
        page.get_by_role("link", name="Add Filter").click()
        page.locator("a.filter", has_text=label).click()
    values = page.locator("table.filters tr td:last-child > :first-child")
    expect(values).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for box in values.all():
        edge = box.bounding_box()
        assert edge["x"] >= 0 and edge["x"] + edge["width"] <= PHONE["width"], edge
