"""The list's date and time filters: a tester types a value into the box, or picks a day in its calendar."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from kit.store import Filter, Query
from tests.browser.conftest import LiveApp, exactly, expect_count, log_in, open_list, settled

pytestmark = pytest.mark.browser

BIRTHDAY = dt.date(2001, 4, 20)
"""Zoë Müller's, in seed/customer.csv."""
DAY = dt.date(2026, 7, 1)
"""Four orders of seed/order.csv were placed that day, the first at 09:21, the last at 22:30."""
DAY_STARTS, DAY_ENDS = "2026-07-01 00:00", "2026-07-01 23:59"


# -- what a person does -------------------------------------------------------------


def add_filter(page: Page, label: str, operation: str = "equals") -> Locator:
    """Add Filter > the field, choose the operation; returns the box its value goes in."""
    page.get_by_role("link", name="Add Filter").click()
    page.locator(".field-filters a.filter").filter(has_text=exactly(label)).click()
    row = page.locator("table.filters tr").last
    if operation != "equals":  # choosing another operation makes a new box
        row.locator(".select2-container").click()
        page.locator("#select2-drop .select2-result-selectable").filter(has_text=exactly(operation)).click()
    expect(row.locator(".select2-chosen")).to_have_text(operation)
    return row.locator("input.filter-val")


def calendar(page: Page) -> Locator:
    """The calendar that is open (each filter box has its own, hidden until the box is clicked)."""
    return page.locator(".daterangepicker .calendar").filter(visible=True)


def pick_day(page: Page, day: dt.date) -> None:
    """In the open calendar: the year, the month, then a click on the day."""
    calendar(page).locator("select.yearselect").select_option(str(day.year))
    calendar(page).locator("select.monthselect").select_option(str(day.month - 1))
    calendar(page).locator("td.available:not(.off)").filter(has_text=exactly(str(day.day))).click()


def apply_filters(page: Page) -> None:
    """The filter bar's Apply (a time's calendar has an Apply button of its own)."""
    page.locator("#filter_form").get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"[?&]flt\d+_"))
    settled(page)


def filters_in_url(page: Page) -> dict[str, str]:
    """The list's filters as its address says them: {"placed_at_from": "2026-07-01 00:00"}."""
    query = parse_qsl(urlsplit(page.url).query)
    return {re.sub(r"^flt\d+_", "", name): value for name, value in query if name.startswith("flt")}


# -- what the list should show ------------------------------------------------------


def expect_orders(page: Page, live: LiveApp, *filters: Filter) -> None:
    """The list shows the orders the model layer finds with these filters, newest first."""
    with live.store() as kit_store:
        repo = kit_store["order"]
        count = repo.count(Query(filters=filters))
        numbers = [
            row["number"] for row in repo.list(Query(filters=filters, sort="placed_at", desc=True)).rows
        ]
    expect_count(page, count)
    expect(page.locator("table.model-list td.col-number")).to_have_text(numbers)


def expect_customers_born(page: Page, live: LiveApp, day: dt.date) -> None:
    """The list shows the customers born that day, by name."""
    with live.store() as kit_store:
        rows = kit_store["customer"].list(Query(filters=[Filter("birthday", "eq", day)], sort="name")).rows
    assert rows, f"the seed has no customer born on {day}"
    expect_count(page, len(rows))
    expect(page.locator("table.model-list td.col-name")).to_have_text([row["name"] for row in rows])


# -- typing -------------------------------------------------------------------------


def test_a_date_typed_into_the_filter_is_kept(serve, page):
    live = serve()
    log_in(page, live)
    open_list(page, "Customers")
    box = add_filter(page, "Birthday")
    box.press_sequentially("2001-04-20", delay=5)  # the new box has the focus: typed straight in
    expect(box).to_have_value("2001-04-20")
    box.click()  # the calendar opens on the day typed
    expect(calendar(page).locator("td.active")).to_have_text("20")
    expect(calendar(page).locator("select.monthselect")).to_have_value("3")  # April: months count from 0
    expect(calendar(page).locator("select.yearselect")).to_have_value("2001")

    apply_filters(page)
    assert filters_in_url(page) == {"birthday_equals": "2001-04-20"}
    expect_customers_born(page, live, BIRTHDAY)
    expect(box).to_have_value("2001-04-20")


def test_a_time_typed_into_the_filter_is_kept(serve, page):
    live = serve()
    log_in(page, live)
    open_list(page, "Orders")
    box = add_filter(page, "Placed (UTC)")
    box.click()
    box.press_sequentially("2026-07-01 09:21", delay=5)
    expect(box).to_have_value("2026-07-01 09:21")
    # the open calendar follows what is typed
    expect(calendar(page).locator("td.active")).to_have_text("1")
    expect(calendar(page).locator("select.hourselect")).to_have_value("9")
    expect(calendar(page).locator("select.minuteselect")).to_have_value("21")

    apply_filters(page)
    assert filters_in_url(page) == {"placed_at_equals": "2026-07-01 09:21"}
    # a time to the minute, as the list shows it, stands for the whole minute
    expect_orders(
        page,
        live,
        Filter("placed_at", "gte", "2026-07-01 09:21"),
        Filter("placed_at", "lt", "2026-07-01 09:22"),
    )
    expect(page.locator("table.model-list td.col-placed_at")).to_have_text(["2026-07-01 09:21"])
    expect(box).to_have_value("2026-07-01 09:21")


# -- picking in the calendar ----------------------------------------------------------


def test_a_day_picked_for_a_date_filter_is_that_day(serve, page):
    live = serve()
    log_in(page, live)
    open_list(page, "Customers")
    box = add_filter(page, "Birthday")
    box.click()
    pick_day(page, BIRTHDAY)
    expect(box).to_have_value("2001-04-20")
    expect(calendar(page)).to_have_count(0)  # a day is all a date needs: the calendar closes

    apply_filters(page)
    assert filters_in_url(page) == {"birthday_equals": "2001-04-20"}
    expect_customers_born(page, live, BIRTHDAY)


@pytest.mark.parametrize(
    ("operation", "picked", "wanted"),
    [
        (  # the whole day, written as the day alone
            "equals",
            "2026-07-01",
            [Filter("placed_at", "gte", "2026-07-01 00:00"), Filter("placed_at", "lt", "2026-07-02 00:00")],
        ),
        ("from", DAY_STARTS, [Filter("placed_at", "gte", "2026-07-01 00:00")]),  # that morning too
        ("less than", DAY_STARTS, [Filter("placed_at", "lt", "2026-07-01 00:00")]),  # the days before
        ("to", DAY_ENDS, [Filter("placed_at", "lt", "2026-07-02 00:00")]),  # that evening too
        ("greater than", DAY_ENDS, [Filter("placed_at", "gte", "2026-07-02 00:00")]),  # the days after
    ],
)
def test_a_day_picked_for_a_time_filter_is_taken_whole(serve, page, operation, picked, wanted):
    live = serve()
    log_in(page, live)
    open_list(page, "Orders")
    box = add_filter(page, "Placed (UTC)", operation)
    box.click()
    pick_day(page, DAY)
    page.locator(".daterangepicker .applyBtn").filter(visible=True).click()
    expect(box).to_have_value(picked)

    apply_filters(page)
    assert filters_in_url(page) == {f"placed_at_{operation.replace(' ', '_')}": picked}
    expect_orders(page, live, *wanted)


def test_a_time_calendar_opened_and_left_leaves_the_box_empty(serve, page):
    live = serve()
    log_in(page, live)
    open_list(page, "Orders")
    box = add_filter(page, "Placed (UTC)")
    box.click()
    # it opens on today's first minute, the time a day picked in it gets
    expect(calendar(page).locator("select.hourselect")).to_have_value("0")
    expect(calendar(page).locator("select.minuteselect")).to_have_value("0")
    page.get_by_role("heading", name="Orders").click()  # elsewhere on the page: the calendar closes
    expect(calendar(page)).to_have_count(0)
    expect(box).to_have_value("")
