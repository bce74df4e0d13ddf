"""The organiser (issue 22): someone at the municipality's office, made one with `iup
organiser add`, opens the talk cycle across the demo's schools from her start page, on a
phone at 360 px with touch and on a desktop; axe finds nothing, nothing scrolls sideways,
and the page names no pupil and no group."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support import DESKTOP, PHONE

pytestmark = pytest.mark.e2e


def office_person(live_server) -> str:
    """Oda at the office: in no group, no school, no family; added once."""
    name = "Oda Förvaltning"
    person, _new = live_server.add_person(name)
    said = live_server.iup("organiser", "add", str(person), "Demokommunen")
    assert "Demokommunen" in said
    return name


def test_the_organiser_reads_the_cycle_across_the_schools(
    live_server, signed_up, axe_check
) -> None:
    name = office_person(live_server)
    phone = signed_up(name, PHONE)
    phone.get_by_role("link", name="Utvecklingssamtalen i Demokommunen").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Utvecklingssamtalen i Demokommunen")
    total = phone.locator("#organisation-total")
    expect(total).to_contain_text("Alla skolor")
    expect(phone.locator("#cycle-table tbody tr")).not_to_have_count(0)
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 360
    main = phone.locator("main").inner_text()
    for text in ("Alva", "Elias", "4A", "5C"):
        assert text not in main, text
    axe_check(phone)

    desktop = signed_up(name, DESKTOP)
    desktop.get_by_role("link", name="Utvecklingssamtalen i Demokommunen").click()
    expect(desktop.locator("#cycle-chart svg")).to_be_visible()
    expect(desktop.get_by_role("region", name="Per skola")).to_be_visible()
    axe_check(desktop)
