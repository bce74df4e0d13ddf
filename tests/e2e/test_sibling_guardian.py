"""A guardian with two children (the demo's Sanna Dahl, of Wilma Dahl and Adam Falk in 6D)
signs up on her phone at 360 px with touch: her start page lists both children, each opens
that child's plan, and back on the start page the other child is still there. axe on both
pages. (A guardian with one child goes straight to the plan; two used to be an HTTP 500.)"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support import PHONE

pytestmark = pytest.mark.e2e


def test_a_guardian_with_two_children_sees_both_on_her_phone(
    live_server, signed_up, axe_check
) -> None:
    wilma, adam = live_server.person_id("Wilma Dahl"), live_server.person_id("Adam Falk")
    phone = signed_up("Sanna Dahl", PHONE)
    assert re.search(r"/\?welcome=1$", phone.url), phone.url  # not one child's plan
    children = phone.locator(".pupil-list a")
    expect(children).to_have_count(2)
    expect(children.nth(0)).to_have_text("Adam Falk")
    expect(children.nth(1)).to_have_text("Wilma Dahl")
    expect(children.nth(1)).to_have_attribute("href", f"/pupils/{wilma}")
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 360
    axe_check(phone)

    children.nth(0).tap()
    phone.wait_for_url(re.compile(rf"/pupils/{adam}$"))
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Adam")
    axe_check(phone)

    phone.go_back()
    phone.locator(".pupil-list a", has_text="Wilma Dahl").tap()
    phone.wait_for_url(re.compile(rf"/pupils/{wilma}$"))
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Wilma")
