"""A real browser on the real app: Debian's chromium, driven by Playwright, on a live server.

Each test gets its own app (as `python app.py` makes it, on a SQLite file under
tmp_path, with demo data) served on a free localhost port, and a fresh browser
context whose console and network are watched: a JavaScript error, a failed
request, a 4xx/5xx response or a request leaving localhost fails the test.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright
from werkzeug.serving import make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

import models
from kit import fake
from kit.auth import save_user
from kit.fields import Field
from kit.store import Repository, Row, Store
from tests.conftest import PASSWORD, make_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
LOCAL_HOSTS = ("127.0.0.1", "localhost")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
FAKE_ROWS = 25
"""Rows per entity for a model set without seed files."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Debian's chromium; skipped when it isn't installed")


# -- the live app -----------------------------------------------------------------


def closing(app: WSGIApplication) -> WSGIApplication:
    """The app, with every response body closed even when the browser hangs up mid-response.

    Werkzeug's server skips `close()` when reading the rest of a dropped connection fails,
    so a static file's handle would be left to the garbage collector: a ResourceWarning,
    which this suite turns into an error. A generator's `finally` closes it either way.
    """

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        body = app(environ, start_response)
        try:
            yield from body
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


class LiveApp:
    """The app served over HTTP from a background thread, and its store for the test to check."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, closing(app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @contextmanager
    def store(self) -> Iterator[Store]:
        """The model layer, as the test sees it (its own connection, like another worker)."""
        with self.app.app_context():
            yield self.app.extensions["kit.store"]

    def user(self, role: str) -> str:
        """Make a login with this role; returns its email."""
        email = f"{role}@example.com"
        with self.store():
            save_user(email, PASSWORD, role)
        return email

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join()
        self.server.server_close()
        self.app.extensions["kit.store"].close()


def fake_rows(kit_store: Store, count: int = FAKE_ROWS) -> None:
    """Made-up rows for every entity, referring to the rows made before them."""
    ids: dict[str, list[int]] = {}
    for entity in kit_store.schema.load_order():
        repo = kit_store[entity.name]
        refs = {ref.name: ids.get(ref.to, []) for ref in entity.references}
        ids[entity.name] = [repo.create(fake.row(repo, n, refs))["id"] for n in range(count)]


@pytest.fixture
def serve(tmp_path) -> Iterator[Any]:
    """serve(entities) starts the app on those entities, with demo data, and stops it after the test."""
    started: list[LiveApp] = []

    def start(entities: ModuleType = models) -> LiveApp:
        # Like `python app.py`: no TESTING, CSRF on; the example's own seed files, or made-up rows.
        # Static files may be cached for the test's length: each page needn't ask again for 20 of them.
        seeds = entities is models
        app = make_app(tmp_path, entities, TESTING=False, SEED_ON_START=seeds, SEND_FILE_MAX_AGE_DEFAULT=600)
        live = LiveApp(app)
        started.append(live)
        with live.store() as kit_store:
            if not any(repo.count() for repo in kit_store if not repo.name.startswith("kit_")):
                fake_rows(kit_store)
        return live

    yield start
    for live in started:
        live.stop()


# -- the browser ------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


class Problems:
    """What a tester would notice in the console and network panels of the browser."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.allowed: set[int] = set()

    def watch(self, context: BrowserContext) -> None:
        context.on("console", lambda msg: msg.type == "error" and self.seen.append(f"console: {msg.text}"))
        context.on("weberror", lambda error: self.seen.append(f"JavaScript error: {error.error}"))
        context.on("request", self.check_host)
        context.on("requestfailed", self.check_failure)
        context.on("response", self.check_status)

    def check_host(self, request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            self.seen.append(f"left localhost: {request.method} {request.url}")

    def check_status(self, response: Any) -> None:
        if response.status >= 400 and response.status not in self.allowed:
            self.seen.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def check_failure(self, request: Any) -> None:
        # The browser aborts what a page still fetches (its icon, say) when it is left or
        # turns into a download; every other failure is one a person would notice.
        if request.failure != "net::ERR_ABORTED":
            self.seen.append(f"failed: {request.method} {request.url} ({request.failure})")

    @contextmanager
    def expecting(self, status: int) -> Iterator[None]:
        """Inside, responses with this status (and the console line they cause) are what the test wants."""
        self.allowed.add(status)
        before = len(self.seen)
        try:
            yield
        finally:
            self.allowed.discard(status)
            self.seen[before:] = [p for p in self.seen[before:] if f"status of {status}" not in p]

    def check(self) -> None:
        assert not self.seen, "the browser reported:\n  " + "\n  ".join(self.seen)


@pytest.fixture
def problems() -> Problems:
    return Problems()


@pytest.fixture
def context(browser: Browser, problems: Problems) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=DESKTOP, locale="en-US", timezone_id="UTC", accept_downloads=True)
    context.set_default_timeout(10_000)
    problems.watch(context)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """A test that passed still fails if the browser saw an error along the way."""
    watcher = getattr(item, "funcargs", {}).get("problems")
    try:
        result = yield
    except BaseException:
        if isinstance(watcher, Problems) and watcher.seen:
            print("The browser reported, before the failure:", *watcher.seen, sep="\n  ")
        raise
    if isinstance(watcher, Problems):
        watcher.check()
    return result


def screenshot(page: Page, name: str, full_page: bool = False) -> Path:
    """Write docs/screenshots/<name>.png (the README shows these); same name each run."""
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=full_page, animations="disabled", caret="hide")
    return path


# -- what a person does -------------------------------------------------------------


def log_in(page: Page, live: LiveApp, role: str = "admin") -> None:
    """Open the admin, get sent to the login form, log in, land on the dashboard."""
    email = live.user(role)
    page.goto(live.url + "/admin/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("alert")).to_have_text("Please log in to see that page.")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".navbar [data-role]")).to_have_text(f"{email} · {role}")
    expect(page.get_by_role("heading").first).to_have_text("Dashboard")
    settled(page)


def settled(page: Page) -> None:
    """Wait until the page that is showing has run its scripts, as a person waits for it to load.

    Acting earlier clicks widgets whose JavaScript isn't there yet, and leaving
    earlier aborts the page's own requests.
    """
    page.wait_for_load_state("load")


def exactly(text: str) -> re.Pattern[str]:
    """Matches an element whose whole text is `text` (has_text alone matches a part)."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def open_list(page: Page, plural: str) -> None:
    """The entity's list, unfiltered, from the menu at the top."""
    page.locator(".navbar a.nav-link").filter(has_text=exactly(plural)).click()
    expect(page.get_by_role("heading").first).to_have_text(plural)
    settled(page)


@contextmanager
def answering(page: Page) -> Iterator[list[str]]:
    """Accept the browser's "are you sure?" questions asked inside; yields what they asked."""
    asked: list[str] = []

    def accept(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    try:
        yield asked
    finally:
        page.remove_listener("dialog", accept)


def dashboard_card(page: Page, plural: str) -> Any:
    """The dashboard's card for an entity: its number of rows, a link to its list, the week's new rows."""
    return page.locator(".kit-count").filter(has=page.locator(".text-muted", has_text=exactly(plural)))


def list_tab(page: Page) -> Any:
    """The "List (N)" tab above a list."""
    return page.locator(".nav-tabs .nav-link.active")


def expect_count(page: Page, count: int) -> None:
    """The list says how many rows match, and shows them (one page of them)."""
    expect(list_tab(page)).to_have_text(f"List ({count})")
    if not count:  # why it is empty: nothing yet, or nothing matching the search or filters
        expect(page.locator("table.model-list .kit-empty")).to_be_visible()
    settled(page)


def expect_flash(page: Page, message: str) -> None:
    """The message at the top of the page that an action leads to."""
    expect(page.locator(".alert")).to_contain_text(message)
    settled(page)


def shown_text(repo: Repository, field: Field, value: Any) -> str | None:
    """The text a list or details cell shows for a value (None where it shows an icon)."""
    if value is None:
        return ""
    if field.kind == "boolean":
        return None
    if field.kind == "reference":
        return repo.store[field.to].labels([value])[value]
    if field.kind == "longtext":
        return " ".join(value.split())
    return field.format(value)


def pick_reference(page: Page, field: Field, label: str) -> None:
    """Open the searchable select, type the row's label, choose it from the results."""
    page.locator(f"#s2id_{field.name} a.select2-choice").click()
    search = page.locator("#select2-drop input.select2-input")
    expect(search).to_be_visible()
    search.press_sequentially(label, delay=5)
    choice = page.locator("#select2-drop .select2-result-selectable").filter(has_text=exactly(label))
    expect(choice).to_have_count(1)
    choice.click()
    expect(page.locator(f"#s2id_{field.name} .select2-chosen")).to_have_text(label)


def clear_reference(page: Page, field: Field) -> None:
    cross = page.locator(f"#s2id_{field.name} abbr.select2-search-choice-close")
    if cross.is_visible():
        cross.click()


def type_date(page: Page, field: Field, value: Any) -> None:
    """Type a date (and time) into the browser's date widget, segment by segment, as a person does."""
    box = page.locator(f"#{field.name}")
    if value is None:
        box.fill("")
        return
    box.click(position={"x": 12, "y": 8})
    page.keyboard.type(value.strftime("%m%d%Y"))
    if field.kind == "datetime":  # hours, minutes, seconds (the admin's time inputs keep seconds)
        page.keyboard.press("ArrowRight")
        page.keyboard.type(value.strftime("%I%M%S%p"))
    expect(box).to_have_value(fake.form_value(field, value))


def fill_form(page: Page, repo: Repository, row: Row) -> None:
    """Fill a create or edit form with a row's values, each through its own widget."""
    for name, value in row.items():
        field = repo.fields[name]
        box = page.locator(f"#{name}")
        if field.kind == "reference":
            if value is None:
                clear_reference(page, field)
            else:
                pick_reference(page, field, repo.store[field.to].labels([value])[value])
        elif field.kind in ("date", "datetime"):
            type_date(page, field, value)
        elif field.kind == "boolean":
            box.set_checked(bool(value))
        elif field.kind == "choice":
            box.select_option(value=fake.form_value(field, value))
        else:
            box.fill(fake.form_value(field, value))


def apply_filter(page: Page, field: Field, text: str) -> None:
    """Add Filter > the field, keep its first operation ("equals"), type the value, Apply."""
    page.get_by_role("link", name="Add Filter").click()
    page.locator(".field-filters a.filter").filter(has_text=exactly(field.label)).click()
    row = page.locator("table.filters tr").last
    expect(row.locator(".select2-chosen")).to_have_text("equals")
    row.locator("input.filter-val").fill(text)
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"[?&]flt\d+_"))
    settled(page)
