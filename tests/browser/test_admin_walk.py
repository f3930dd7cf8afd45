"""A tester's click-through of every admin screen, for every declared entity of both model sets."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kit import admin, fake
from kit.fields import Field, FieldError
from kit.schema import Entity
from kit.store import Filter, Query, Repository, Row
from tests.browser.conftest import (
    LiveApp,
    answering,
    apply_filter,
    dashboard_card,
    exactly,
    expect_count,
    expect_flash,
    fill_form,
    log_in,
    open_list,
    screenshot,
    settled,
    shown_text,
)
from tests.conftest import MODEL_SETS
from tests.test_admin import WALKS

pytestmark = pytest.mark.browser

FILTERABLE = ("text", "longtext", "email", "url", "integer", "money", "date")
"""Kinds whose filter value is typed into a box, best first."""
BAD_TYPING = {"integer": "1.5", "money": "12,5.5.5", "email": "not-an-email", "url": "example.com"}
"""What a person might type into a field of these kinds that the kit refuses."""
PAIR, CREATED = 901, 940
"""Row numbers for kit.fake: the two rows the walk bulk-deletes, the row it creates (and edits into +1)."""


# -- arranging the data (through the model layer, as seeds or another user would) -----


def references(repo: Repository) -> dict[str, list[int]]:
    """Two existing rows for each reference, so a new and an edited row point to different ones."""
    refs = {}
    for ref in repo.entity.references:
        rows = repo.store[ref.to].list(Query(sort="id", per_page=2)).rows
        refs[ref.name] = [row["id"] for row in rows]
    return refs


def make_pair(repo: Repository, refs: dict[str, list[int]]) -> list[Row]:
    """Two new rows that share every value a field allows them to share."""
    first = fake.row(repo, PAIR, refs)
    second = fake.row(repo, PAIR + 1, refs)
    shared = {name: value for name, value in first.items() if not repo.fields[name].unique}
    return [repo.create(first), repo.create({**second, **shared})]


def isolating_filter(repo: Repository, rows: list[Row]) -> tuple[Field, str]:
    """A field and value whose "equals" filter shows exactly these rows."""
    fields = [f for f in repo.entity.fields.values() if f.kind in FILTERABLE and not f.hidden]
    for field in sorted(fields, key=lambda f: FILTERABLE.index(f.kind)):
        values = {row[field.name] for row in rows}
        if len(values) != 1 or None in values:
            continue
        text = fake.form_value(field, values.pop())
        if repo.count(Query(filters=[Filter(field.name, "eq", text)])) == len(rows):
            return field, text
    raise AssertionError(f"no filter of {repo.name} shows just rows {[r['id'] for r in rows]}")


def refusal(field: Field, typed: str) -> str:
    """The sentence the model layer refuses this typed value with."""
    try:
        field.clean(typed)
    except FieldError as error:
        return str(error)
    raise AssertionError(f"{field.label} takes {typed!r}")


def cleaned(repo: Repository, row: Row) -> Row:
    return {name: repo.fields[name].clean(value) for name, value in row.items()}


# -- what the walk checks on the page -------------------------------------------------


def shown_ids(page: Page) -> list[int]:
    boxes = page.locator("table.model-list input.action-checkbox")
    return [int(value) for value in boxes.evaluate_all("boxes => boxes.map(box => box.value)")]


def cell_texts(page: Page, name: str) -> list[str]:
    cells = page.locator(f"table.model-list td.col-{name}")
    return [" ".join(text.split()) for text in cells.all_inner_texts()]


def expect_order(page: Page, live: LiveApp, repo: Repository, name: str, desc: bool) -> None:
    """The page shows the rows the model layer sorts first, with the values it holds."""
    with live.store():
        expected = repo.list(Query(sort=name, desc=desc, per_page=len(shown_ids(page)))).rows
        texts = [shown_text(repo, repo.fields[name], row[name]) for row in expected]
    assert shown_ids(page) == [row["id"] for row in expected], f"sorted by {name}, desc={desc}"
    if None not in texts:
        assert cell_texts(page, name) == texts


def filter_to(page: Page, live: LiveApp, repo: Repository, rows: list[Row]) -> None:
    """From the plain list, filter down to exactly these rows."""
    with live.store():
        field, text = isolating_filter(repo, rows)
    open_list(page, repo.entity.plural)
    apply_filter(page, field, text)
    expect_count(page, len(rows))
    assert sorted(shown_ids(page)) == sorted(row["id"] for row in rows)


def expect_shows(page: Page, field: Field, value: Any) -> None:
    """A form shows this value in the field's widget."""
    box = page.locator(f"#{field.name}")
    if field.kind == "boolean":
        expect(box).to_be_checked(checked=bool(value))
    else:
        expect(box).to_have_value(fake.form_value(field, value))


def expect_aligned(page: Page) -> None:
    """Every box of the form (a searchable select's too) ends at the same right edge."""
    edges = page.locator("form.admin-form").evaluate(
        """form => [...form.querySelectorAll(".form-control:not(.select2-container), .select2-choice")]
            .filter(box => box.offsetParent).map(box => Math.round(box.getBoundingClientRect().right))"""
    )
    assert len(set(edges)) == 1, f"the form's boxes end at different places: {edges}"


def row_of(page: Page, id: int) -> Any:
    box = page.locator(f"input.action-checkbox[value='{id}']")
    return page.locator("table.model-list tr").filter(has=box)


# -- the walk, step by step ----------------------------------------------------------


def sort_by_a_column(page: Page, live: LiveApp, repo: Repository) -> None:
    """Click the first sortable column's header: up; again: down."""
    sort_link = "a[title^='Sort by']"
    header = page.locator("table.model-list th.column-header").filter(has=page.locator(sort_link)).first
    column = next(c[4:] for c in header.get_attribute("class").split() if c.startswith("col-"))
    for desc, arrow in ((False, ".fa-chevron-up"), (True, ".fa-chevron-down")):
        header.locator(sort_link).click()
        expect(header.locator(arrow)).to_be_visible()
        settled(page)
        expect_order(page, live, repo, column, desc=desc)


def search_for(page: Page, live: LiveApp, repo: Repository, row: Row) -> None:
    """Type a value of the row into the search box: the list shows what the model layer finds."""
    box = page.get_by_placeholder("Search ")
    searchable = [name for name in repo.entity.search if row[name] is not None]
    if not searchable:
        expect(box).to_have_count(0 if not repo.entity.search else 1)
        return
    term = fake.form_value(repo.fields[searchable[0]], row[searchable[0]])
    box.fill(term)
    box.press("Enter")
    with live.store():
        found = repo.count(Query(search=term))
    expect_count(page, found)
    expect(page.get_by_role("row").filter(has_text=term).first).to_be_visible()


def open_details(page: Page, live: LiveApp, repo: Repository, row: Row) -> None:
    """The eye icon of a row: every field by its label, with the value the list would show."""
    row_of(page, row["id"]).get_by_title("View Record").click()
    expect(page.locator(".nav-tabs .nav-link.active")).to_have_text("Details")
    settled(page)
    lines = page.locator("table.searchable tr")
    with live.store():
        shown = {name: shown_text(repo, repo.fields[name], row[name]) for name in repo.entity.fields}
    for name, text in shown.items():
        line = lines.filter(has=page.locator("b", has_text=exactly(admin.shown_label(repo.fields[name]))))
        if text is not None:
            expect(line.locator("td").last).to_have_text(text)


def show_history(page: Page, live: LiveApp, repo: Repository, id: int, screenshots: bool) -> None:
    """The details page ends with the row's history: made, then changed, both by who is logged in."""
    page.goto(f"{live.url}/admin/{repo.name}/details/?id={id}")
    lines = page.locator("table.kit-history tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0).locator("td").nth(1)).to_have_text(re.compile(r"^Changed "))
    expect(lines.nth(1).locator("td").nth(1)).to_have_text("Created")
    email = page.locator(".navbar [data-role]").inner_text().split(" · ")[0]
    expect(lines.locator("td:last-child")).to_have_text([email] * 2)
    settled(page)
    if screenshots:
        screenshot(page, f"admin-{repo.name}-details", full_page=True)
    page.goto(f"{live.url}/admin/{repo.name}/")


def bulk_delete(page: Page, entity: Entity, rows: list[Row]) -> None:
    """Tick the rows, With selected > Delete, accept the question."""
    for row in rows:
        row_of(page, row["id"]).locator("input.action-checkbox").check()
    page.get_by_role("button", name="With selected").click()
    with answering(page) as questions:
        page.locator(".dropdown-menu.show a", has_text="Delete").click()
        expect_flash(page, f"Deleted {len(rows)} {entity.noun()}.")
    assert questions == ["Delete the selected rows?"]


def create_with_mistakes(page: Page, repo: Repository, screenshots: bool) -> None:
    """A new form shows the defaults; sent with mistakes, each is named beside its field."""
    page.get_by_role("link", name="Create", exact=True).click()
    expect(page.locator(".nav-tabs .nav-link.active")).to_have_text("Create")
    settled(page)
    fields = repo.entity.fields.values()
    for field in fields:
        if field.default is not None and field.kind != "reference":
            expect_shows(page, field, field.initial())
    mistakes = {}
    for field in fields:
        if field.kind in BAD_TYPING:
            page.locator(f"#{field.name}").fill(BAD_TYPING[field.kind])
            mistakes[field.name] = refusal(field, BAD_TYPING[field.kind])
        elif field.required and field.default is None and field.kind not in ("boolean", "choice"):
            mistakes[field.name] = refusal(field, "")
    assert mistakes, f"{repo.name} has no field a person can get wrong"
    page.get_by_role("button", name="Save", exact=True).click()
    expect_flash(page, "Not saved: please correct the fields marked below.")
    for name, sentence in mistakes.items():
        feedback = (
            page.locator(".form-group")
            .filter(has=page.locator(f"[name='{name}']"))
            .locator(".invalid-feedback")
        )
        expect(feedback).to_have_text(sentence)
        expect(feedback).to_be_visible()
    expect_aligned(page)
    if screenshots:
        screenshot(page, f"admin-{repo.name}-form-errors", full_page=True)


def submit(page: Page, button: str, message: str) -> None:
    """Press one of the form's buttons; the page it leads to says how it went."""
    page.get_by_role("button", name=button, exact=True).click()
    expect_flash(page, message)


def show_reference_picker(page: Page, repo: Repository) -> None:
    """Open the first searchable select for the screenshot, then close it."""
    page.locator(f"#s2id_{repo.entity.references[0].name} a.select2-choice").click()
    page.locator("#select2-drop .select2-result-selectable").first.wait_for()
    screenshot(page, f"admin-{repo.name}-reference-picker")
    page.keyboard.press("Escape")


def delete_from_its_row(page: Page, id: int, entity: Entity) -> None:
    """The bin icon of a row, and yes to the question."""
    with answering(page) as questions:
        row_of(page, id).get_by_title("Delete Record").click()
        expect_flash(page, f"{entity.label} deleted.")
    assert questions == [f"Delete this {entity.noun(many=False)}?"]


def export_csv(page: Page) -> list[list[str]]:
    """Click Export: a CSV file downloads."""
    with page.expect_download() as download:
        page.get_by_role("link", name="Export", exact=True).click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(("model_set", "entity_name"), WALKS)
def test_admin_walk(serve, page, model_set, entity_name):
    """Log in; list, sort, search, filter, details, bulk delete; create, edit, delete one; export."""
    live = serve(MODEL_SETS[model_set])
    screenshots = model_set == "shop"
    with live.store() as kit_store:
        repo = kit_store[entity_name]
        refs = references(repo)
        pair = make_pair(repo, refs)
        total = repo.count()
    entity = repo.entity

    log_in(page, live)
    card = dashboard_card(page, entity.plural)
    expect(card.locator(".display-4")).to_have_text(f"{total:,}")
    recent = card.locator(".kit-recent")  # every row came in this test's start-up
    expect(recent).to_have_text(f"+{total:,} in the last 7 days")
    recent.click()
    expect_count(page, total)
    page.go_back()
    card.locator(".stretched-link").click()
    expect(page.get_by_role("heading").first).to_have_text(entity.plural)
    expect_count(page, total)

    sort_by_a_column(page, live, repo)
    if screenshots:
        screenshot(page, f"admin-{entity_name}-list")
    search_for(page, live, repo, pair[0])
    filter_to(page, live, repo, pair)
    open_details(page, live, repo, pair[0])
    page.go_back()
    expect_count(page, 2)
    bulk_delete(page, entity, pair)
    expect_count(page, 0)
    total -= 2
    with live.store():
        assert repo.count() == total

    create_with_mistakes(page, repo, screenshots)
    new = fake.row(repo, CREATED, refs)
    fill_form(page, repo, new)
    submit(page, "Save and Continue Editing", f"{entity.label} saved.")
    expect(page.locator(".nav-tabs .nav-link.active")).to_have_text("Edit")
    id = int(re.search(r"[?&]id=(\d+)", page.url).group(1))
    with live.store():
        assert repo.count() == total + 1
        assert {k: repo.get(id)[k] for k in new} == cleaned(repo, new)

    # edit: other values, another referenced row picked by typing, another date typed
    changed = fake.row(repo, CREATED + 1, refs)
    fill_form(page, repo, changed)
    if screenshots and entity.references:
        show_reference_picker(page, repo)
    submit(page, "Save", f"{entity.label} saved.")
    with live.store():
        edited = repo.get(id)
    assert {k: edited[k] for k in changed} == cleaned(repo, changed)
    show_history(page, live, repo, id, screenshots)

    filter_to(page, live, repo, [edited])
    delete_from_its_row(page, id, entity)
    expect_count(page, 0)
    with live.store():
        assert repo.count() == total

    open_list(page, entity.plural)
    table = export_csv(page)
    assert table[0] == [f.label for f in repo.fields.values() if not f.hidden]
    assert len(table) == total + 1


def test_an_edit_form_saved_unchanged_keeps_the_row_as_it_was(serve, page):
    """Open an order whose time has seconds and press Save: the row, its time and version stay."""
    live = serve()
    with live.store() as kit_store:
        repo = kit_store["order"]
        row = repo.update(repo.list(Query(per_page=1)).rows[0]["id"], {"placed_at": "2026-11-20T14:34:08Z"})
    log_in(page, live)
    page.goto(f"{live.url}/admin/order/edit/?id={row['id']}")
    settled(page)
    expect(page.locator("#placed_at")).to_have_value("2026-11-20T14:34:08")
    submit(page, "Save", "Order saved.")
    with live.store():
        assert repo.get(row["id"]) == row


def test_a_long_details_table_finds_a_field_by_plain_text(serve, page, problems):
    """On the wide entity's details, "Find a field" narrows the table; "(" is text, not a pattern."""
    live = serve(MODEL_SETS["unusual"])
    with live.store() as kit_store:
        id = kit_store["wide"].list(Query(per_page=1)).rows[0]["id"]
    log_in(page, live)
    page.goto(f"{live.url}/admin/wide/details/?id={id}")
    rows = page.locator("table.searchable tr")
    box = page.get_by_label("Find a field")
    box.fill("notizen")
    expect(rows.filter(visible=True)).to_have_count(1)
    box.fill("(zz")  # Flask-Admin's own box threw here: an unclosed group in a regular expression
    expect(rows.filter(visible=True)).to_have_count(0)
    box.fill("")
    expect(rows.filter(visible=True)).to_have_count(rows.count())
    assert problems.seen == []
