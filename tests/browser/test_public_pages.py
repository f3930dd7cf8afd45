"""The landing page and the login page, at a desktop and a phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    dashboard_card,
    expect_flash,
    log_in,
    screenshot,
    settled,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


def expect_fits(page: Page) -> None:
    """Nothing sticks out sideways: no horizontal scrolling at this width."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the {page.viewport_size['width']}px screen"


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_landing_page_and_waitlist(serve, page, width):
    live = serve()
    page.set_viewport_size(WIDTHS[width])
    page.goto(live.url + "/")
    settled(page)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("#products .card").first).to_be_visible()
    expect_fits(page)
    screenshot(page, f"landing-{width}", full_page=True)

    # the waitlist form: an empty email is refused beside the field, a good one is thanked
    with live.store() as kit_store:
        before = kit_store["signup"].count()
    page.get_by_role("button", name="Join the waitlist").click()
    expect(page.locator("#email-error")).to_have_text("Email is required.")
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    settled(page)
    page.get_by_label("Email").fill(f"zoë.{width}@example.com")
    page.get_by_role("button", name="Join the waitlist").click()
    expect(page.get_by_role("status")).to_have_text("Thanks! You are on the waitlist; we will write soon.")
    settled(page)
    with live.store() as kit_store:
        assert kit_store["signup"].count() == before + 1


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_login_page(serve, page, width):
    live = serve()
    email = live.user("admin")
    page.set_viewport_size(WIDTHS[width])
    page.goto(live.url + "/login")
    settled(page)
    expect_fits(page)
    screenshot(page, f"login-{width}")

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD + " typo")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    settled(page)


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_dashboard(serve, page, width):
    live = serve()
    page.set_viewport_size(WIDTHS[width])
    log_in(page, live)
    page.goto(live.url + "/admin/category/new/")  # a change for the dashboard's list of recent ones
    page.locator("#name").fill("Glas & Keramik")
    page.get_by_role("button", name="Save", exact=True).click()
    expect_flash(page, "Category saved.")
    page.goto(live.url + "/admin/")
    latest = page.locator("table.kit-history tbody tr").first
    expect(latest).to_contain_text("Category Glas & Keramik Created")
    with live.store() as kit_store:
        for repo in kit_store:
            if not repo.name.startswith("kit_"):
                card = dashboard_card(page, repo.entity.plural)
                expect(card.locator(".display-4")).to_have_text(f"{repo.count():,}")
    expect_fits(page)
    screenshot(page, f"dashboard-{width}")


def test_readme_shows_screenshots_the_tests_wrote():
    readme = (SCREENSHOTS.parents[1] / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"docs/screenshots/([\w.-]+\.png)", readme)
    assert shown, "the README shows no screenshots"
    missing = [name for name in shown if not (SCREENSHOTS / name).exists()]
    assert not missing, f"the README shows screenshots no test writes: {missing}"
