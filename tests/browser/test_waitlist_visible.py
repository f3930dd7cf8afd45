"""The waitlist's thanks is where the person is looking after pressing "Join the waitlist"."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, settled

pytestmark = pytest.mark.browser

SCREENS = {"desktop": {"width": 1366, "height": 900}, "phone": PHONE}


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_waitlist_thanks_is_in_view_after_joining(serve, page: Page, screen):
    live = serve()
    page.set_viewport_size(SCREENS[screen])
    page.goto(live.url + "/")
    settled(page)
    page.get_by_label("Email").fill(f"zoë.{screen}@example.com")
    page.get_by_role("button", name="Join the waitlist").click()
    thanks = page.get_by_role("status")
    expect(thanks).to_have_text("Thanks! You are on the waitlist; we will write soon.")
    settled(page)
    expect(thanks).to_be_in_viewport(ratio=1)
