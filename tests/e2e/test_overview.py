"""Staff at a glance in Chromium: the mentor's group as cards on a phone and as a sortable
table on a desktop, and the principal's school overview, from which she opens one plan
with a reason that the guardian then reads in the plan's read log."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import support

pytestmark = pytest.mark.e2e

PHONE = {**support.PHONE, "locale": "sv-SE"}
DESKTOP = {**support.DESKTOP, "locale": "en-GB"}


@pytest.fixture
def signed_up(live_server, new_context, add_authenticator, enrol):
    """A new browser (PHONE or DESKTOP) in which `name` has just signed up with a link."""

    def open_as(name: str, options: dict) -> object:
        page = new_context(**options).new_page()
        add_authenticator(page)
        enrol(page, live_server.enrolment_url(name))
        return page

    return open_as


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width, page.url


def test_the_mentor_sees_her_group_at_a_glance(live_server, signed_up, axe_check) -> None:
    alva = live_server.person_id("Alva Nilsson")

    # On a phone: the start page, then the group as one card per pupil.
    page = signed_up("Karin Lind", PHONE)
    expect(page.get_by_role("heading", level=2, name="4A")).to_be_visible()
    no_sideways_scroll(page, 360)
    axe_check(page)
    page.get_by_role("link", name="4A i överblick").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grupp 4A i överblick")
    row = page.locator(f"#pupil-{alva}")
    expect(row).to_contain_text("Inte berättat den här månaden")
    expect(page.locator("table.overview thead")).to_be_hidden()  # cards, each cell labelled
    box = row.bounding_box()
    assert box is not None and box["width"] <= 360
    assert (
        page.evaluate(f"getComputedStyle(document.getElementById('pupil-{alva}')).display")
        == "block"
    )
    expect(row.get_by_role("link", name="Anteckning om Alva Nilsson")).to_be_visible()
    no_sideways_scroll(page, 360)
    axe_check(page)

    # On a desktop: a table, sorted by a link in its header, by keyboard too.
    page = signed_up("Karin Lind", DESKTOP)
    page.get_by_role("link", name="4A at a glance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Group 4A at a glance")
    expect(page.locator("table.overview thead")).to_be_visible()
    axe_check(page)
    page.locator("thead").get_by_role("link", name="Unread").click()
    page.wait_for_url(re.compile(r"\?sort=unread$"))
    header = page.locator("th[aria-sort]")
    expect(header).to_have_count(1)
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(header).to_have_text(re.compile("Unread"))
    elias = live_server.person_id("Elias Karlsson")
    first = page.locator("table.overview tbody tr").first
    expect(first).to_have_attribute("id", f"pupil-{elias}")  # his comment is unread
    axe_check(page)
    page.locator("thead").get_by_role("link", name="Pupil").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"\?sort=name$"))
    expect(page.locator("th[aria-sort]")).to_have_text(re.compile("Pupil"))
    page.get_by_label("Group").focus()
    page.get_by_label("Group").select_option(label="5C")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Show the group")).to_be_focused()
    page.keyboard.press("Enter")  # the GET form goes to the group's page
    expect(page.get_by_role("heading", level=1)).to_have_text("Group 5C at a glance")
    expect(page.locator("table.overview tbody tr")).to_have_count(5)
    no_sideways_scroll(page, 1280)
    axe_check(page)


# Each word of the cells (a run between spaces or hyphens) that the browser laid out on more
# than one line: a DOM Range around the word has client rects on more than one line.
SPLIT_WORDS = """(cells) => {
  const split = [];
  for (const cell of document.querySelectorAll(cells)) {
    const texts = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let text = texts.nextNode(); text; text = texts.nextNode()) {
      if (text.parentElement.closest('.visually-hidden')) continue;
      for (const word of text.data.matchAll(/[^\\s\\-\u2010]+/g)) {
        const range = document.createRange();
        range.setStart(text, word.index);
        range.setEnd(text, word.index + word[0].length);
        const lines = new Set([...range.getClientRects()]
          .filter((rect) => rect.width > 0).map((rect) => Math.round(rect.top)));
        if (lines.size > 1) split.push(word[0]);
      }
    }
  }
  return split;
}"""

# The table's width and the width its column (main's content box) offers it.
WIDTHS = """() => {
  const main = document.querySelector('main'), style = getComputedStyle(main);
  const column = main.clientWidth - parseFloat(style.paddingInlineStart)
    - parseFloat(style.paddingInlineEnd);
  return [document.querySelector('table.overview').getBoundingClientRect().width, column];
}"""

# Each column's heading and width, and its widest cell's text: what to mend when it spills.
COLUMNS = """() => [...document.querySelectorAll('table.overview thead th')].map((th, i) => {
  const cells = [...document.querySelectorAll(`table.overview tbody tr > :nth-child(${i + 1})`)];
  const widest = cells.map((c) => [c.scrollWidth, c.textContent.replace(/\\s+/g, ' ').trim()])
    .sort((a, b) => b[0] - a[0])[0];
  return [th.textContent.trim(), Math.round(th.getBoundingClientRect().width), widest];
})"""


@pytest.mark.parametrize("locale", ["sv-SE", "uk-UA", "ar"])
def test_the_group_table_takes_the_column_and_keeps_words_whole(
    live_server, signed_up, axe_check, locale
) -> None:
    """At 1,280 px the table fills main's column (a wider one scrolls in its own box), no word
    (a name least of all) is broken across lines; at 320 px the cards fit the window.
    Swedish is the default, Ukrainian has the longest words, Arabic reads right to left."""
    page = signed_up("Karin Lind", {**support.DESKTOP, "locale": locale})
    expect(page.locator("html")).to_have_attribute("lang", locale[:2])  # none stored for her
    links = {
        group: page.locator("a[href*='/groups/']", has_text=group).first for group in ("4A", "5C")
    }
    hrefs = {group: link.get_attribute("href") for group, link in links.items()}
    for group, href in hrefs.items():
        page.goto(f"{live_server.url}{href}")
        expect(page.locator("table.overview thead")).to_be_visible()
        table, column = page.evaluate(WIDTHS)
        # Not squeezed; wider than the column only when the data asks for it (a column per
        # goal area: the goal journeys add two to 5C), and then it scrolls in its own box.
        assert 0.9 * column <= table, (group, table, column, page.evaluate(COLUMNS))
        box = page.locator(".overview__table").bounding_box()
        assert box and box["width"] <= column + 1, (group, box, column)
        assert page.evaluate(SPLIT_WORDS, "table.overview tbody th") == [], group  # names
        assert page.evaluate(SPLIT_WORDS, "table.overview th, table.overview td") == [], group
        no_sideways_scroll(page, 1280)
        axe_check(page)

        page.set_viewport_size({"width": 320, "height": 740})
        expect(page.locator("table.overview thead")).to_be_hidden()  # a card per pupil
        assert page.evaluate(SPLIT_WORDS, "table.overview tbody th") == [], group
        no_sideways_scroll(page, 320)
        axe_check(page)
        page.set_viewport_size(support.DESKTOP["viewport"])


def test_the_principal_sees_her_school_and_opens_a_plan_with_a_reason(
    live_server, signed_up, axe_check, watch
) -> None:
    watch.allow_console(r"status of 422")
    alva = live_server.person_id("Alva Nilsson")

    # On a phone: the overview, its chart and its table as cards.
    page = signed_up("Birgitta Holm", PHONE)
    axe_check(page)
    page.get_by_role("link", name="Skolöversikt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Skolöversikt: Demoskolan")
    expect(
        page.locator("#overview-table tr", has=page.get_by_role("rowheader", name="5C"))
    ).not_to_contain_text("färre än 5")
    expect(
        page.locator("#overview-table tr", has=page.get_by_role("rowheader", name="6D"))
    ).to_contain_text("färre än 5")
    no_sideways_scroll(page, 360)
    axe_check(page)

    # On a desktop: chart beside table; then one plan, after a reason.
    page = signed_up("Birgitta Holm", DESKTOP)
    page.get_by_role("link", name="School overview").click()
    chart = page.locator("#rated-chart svg")
    expect(chart).to_be_visible()
    expect(chart.locator("title")).to_have_text(re.compile("Share who rated"))
    expect(chart.locator(".stats__bar")).to_have_count(1)  # 5C's; the others: no bar
    table = page.locator("#overview-table")
    chart_box, table_box = chart.bounding_box(), table.bounding_box()
    assert chart_box and table_box and chart_box["x"] + chart_box["width"] <= table_box["x"] + 1
    row_5c = page.locator("#overview-table tr", has=page.get_by_role("rowheader", name="5C"))
    expect(row_5c.locator("td").nth(1)).to_have_text("5")
    expect(
        page.locator("#overview-table tr", has=page.get_by_role("rowheader", name="6D"))
    ).to_contain_text("fewer than 5")
    axe_check(page)

    page.get_by_text("Group 4A", exact=True).click()  # the <summary>
    page.get_by_role("link", name="Alva Nilsson").click()
    page.wait_for_url(re.compile(rf"/pupils/{alva}/reason$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Why do you open this plan?")
    axe_check(page)
    page.get_by_label("Why do you need to open the plan of Alva Nilsson?").fill("Kort")
    page.get_by_role("button", name="Open the plan").click()
    expect(page.locator(".error-summary")).to_contain_text("at least 10 characters")
    expect(page.get_by_label("Why do you need to open the plan of Alva Nilsson?")).to_have_value(
        "Kort"
    )
    axe_check(page)
    reason = "Vårdnadshavaren har bett om ett möte om stödet i svenska."
    page.get_by_label("Why do you need to open the plan of Alva Nilsson?").fill(reason)
    page.get_by_role("button", name="Open the plan").click()
    page.wait_for_url(re.compile(rf"/pupils/{alva}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Goals of Alva Nilsson")
    axe_check(page)

    # Anna, Alva's guardian, sees who opened the plan and why, on a phone and a desktop.
    for options in (PHONE, DESKTOP):
        page = signed_up("Anna Nilsson", options)
        page.locator("details.read-log summary").click()
        entry = page.locator("details.read-log li", has_text="Birgitta Holm")
        expect(entry).to_contain_text(reason)
        no_sideways_scroll(page, options["viewport"]["width"])
        axe_check(page)
