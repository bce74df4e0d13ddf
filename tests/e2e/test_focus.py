"""Focus follows the action (issue 20, item 4): after each full-page action the focused
element is its result — the confirmation, the changed part, or the error summary whose
links lead to the fields (the GOV.UK pattern) — never <body>. One test per action.

Its people are this file's own: Adam Falk (6D), his mentor Nils Ahl writing Adam's written
plan, and Adam signing it, marking his part done and proposing goals of his own. Later
files use Adam only for his name and heading (test_sibling_guardian)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from backend.settings import Settings
from tests.support import DESKTOP, words

pytestmark = pytest.mark.e2e

PUPIL = "Adam Falk"
MENTOR = "Nils Ahl"
HIS_PART = "Adam tränar glosor tio minuter varje dag."
SCHOOL_PART = "Skolan ger Adam ett lugnt arbetsrum på måndagar."
TODAY = Settings(secret_key="-").today()  # the school's day (its zone), as the server's
YESTERDAY = (TODAY - timedelta(days=1)).isoformat()
TOMORROW = (TODAY + timedelta(days=1)).isoformat()
DUE = (TODAY + timedelta(days=20)).isoformat()


def sv(msgid: str) -> str:
    """The Swedish page's words (the catalogue's, so a rewording does not break the test)."""
    return words("sv", msgid)


def active(page: Any) -> str:
    """What has the focus, for a failure's message: tag#id.class "text"."""
    return str(
        page.evaluate(
            """() => { const el = document.activeElement;
                 return el ? `${el.tagName.toLowerCase()}#${el.id}.${el.className} `
                   + JSON.stringify((el.textContent || '').trim().slice(0, 80)) : 'none'; }"""
        )
    )


def expect_focus(page: Any, locator: Any) -> None:
    """The result holds the focus (and <body> does not)."""
    try:
        expect(locator).to_be_focused()
    except AssertionError as error:
        raise AssertionError(f"focus is on {active(page)}, not on the result") from error
    assert page.evaluate("document.activeElement !== document.body")


def expect_error_summary(page: Any) -> Any:
    """The error summary has the focus and each of its links leads to a field on the page;
    following the first link puts the focus in that field."""
    summary = page.locator("main .error-summary")
    expect(summary).to_have_count(1)
    expect_focus(page, summary)
    links = summary.locator("a")
    assert links.count() >= 1
    for href in links.evaluate_all("(links) => links.map((a) => a.getAttribute('href'))"):
        assert re.fullmatch(r"#[A-Za-z][\w-]*", href), href
        field = page.locator(href)
        expect(field).to_have_count(1)
        assert field.evaluate(
            "(el) => ['INPUT', 'TEXTAREA', 'SELECT', 'FIELDSET'].includes(el.tagName)"
        )
    first = links.first.get_attribute("href")
    links.first.press("Enter")
    target = page.locator(first)
    if target.evaluate("(el) => el.tagName") == "FIELDSET":
        target = target.locator("input").first
    expect_focus(page, target)
    return summary


def written_plan(page: Any, live_server: Any) -> int:
    adam = live_server.person_id(PUPIL)
    page.goto(f"/pupils/{adam}/written-plan")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        sv("Written plan for %(name)s") % {"name": PUPIL}
    )
    return adam


def published(api_person: Any, publish_written_plan: Any, live_server: Any) -> dict[int, str]:
    """Adam's written plan, published with his part and the school's (through the API, for
    a test run on its own; in file order the mentor's tests above have made it). Returns
    {agreement id: text}."""
    made = publish_written_plan(
        api_person(MENTOR),
        live_server.person_id(PUPIL),
        [(HIS_PART, "pupil"), (SCHOOL_PART, "school")],
        measures=SCHOOL_PART,
    )
    return {i: text for text, i in made.items()}


def agreement_card(
    live_server: Any,
    signed_up: Any,
    api_person: Any,
    publish_written_plan: Any,
    *,
    who: str,
    text: str,
) -> tuple[Any, int, Any]:
    """`who` (the mentor or Adam) signed in on Adam's published written plan: her page, the
    id of the agreement with `text`, and its card."""
    texts = published(api_person, publish_written_plan, live_server)
    agreement = next(i for i, t in texts.items() if t == text)
    page = signed_up(who, DESKTOP)
    if who == MENTOR:
        written_plan(page, live_server)
    return page, agreement, page.locator(f"#agreement-{agreement}")


# ---- The mentor's written plan ------------------------------------------------------------


def test_saving_the_written_plan_focuses_its_confirmation(live_server, signed_up) -> None:
    nils = signed_up(MENTOR, DESKTOP)
    written_plan(nils, live_server)
    nils.get_by_label(sv("Who took part")).fill("Adam, Sanna och Nils")
    nils.get_by_role("button", name=sv("Save"), exact=True).click()
    expect_focus(
        nils, nils.locator("main .notice--success", has_text=sv("The written plan is saved."))
    )


def test_a_refused_save_focuses_the_error_summary(live_server, signed_up, watch) -> None:
    watch.allow_console(r"status of 422")
    nils = signed_up(MENTOR, DESKTOP)
    written_plan(nils, live_server)
    nils.get_by_label(sv("Date of the talk")).fill(TOMORROW)  # not held yet: refused
    nils.get_by_role("button", name=sv("Save"), exact=True).click()
    summary = expect_error_summary(nils)
    expect(summary).to_contain_text(sv("The talk cannot have been held after today."))


def test_adding_an_agreement_focuses_it(live_server, signed_up) -> None:
    nils = signed_up(MENTOR, DESKTOP)
    written_plan(nils, live_server)
    for text, who in ((HIS_PART, sv("The pupil")), (SCHOOL_PART, sv("The school"))):
        form = nils.locator("#new-agreement")
        form.get_by_label(sv("What is agreed")).fill(text)
        form.get_by_label(who, exact=True).check()
        form.get_by_label(sv("By when")).fill(DUE)
        form.get_by_role("button", name=sv("Add the agreement")).click()
        expect_focus(nils, nils.locator(".agreement", has_text=text).locator(".agreement__text"))


def test_publishing_focuses_its_confirmation(live_server, signed_up) -> None:
    nils = signed_up(MENTOR, DESKTOP)
    written_plan(nils, live_server)
    nils.get_by_label(sv("Date of the talk")).fill(YESTERDAY)
    nils.get_by_label(sv("The school will")).fill(SCHOOL_PART)
    nils.get_by_role("button", name=sv("Save and publish to pupil and guardians")).click()
    expect_focus(
        nils,
        nils.locator(
            "main .notice--success",
            has_text=sv(
                "The plan is published. The pupil and the guardians have been told and asked "
                "to sign."
            ),
        ),
    )


def test_following_up_focuses_the_follow_up(
    live_server, signed_up, api_person, publish_written_plan
) -> None:
    nils, school, card = agreement_card(
        live_server, signed_up, api_person, publish_written_plan, who=MENTOR, text=SCHOOL_PART
    )
    card.get_by_label(sv("Comment"), exact=True).fill("Rummet finns nu varje måndag.")
    card.get_by_role("button", name=sv("Save the follow-up")).click()
    result = nils.locator(f"#agreement-{school} .agreement__follow-up")
    expect(result).to_contain_text("Rummet finns nu varje måndag.")
    expect_focus(nils, result)


# ---- The pupil: signing, his part done, goals of his own --------------------------------------


def test_signing_focuses_the_confirmation(
    live_server, signed_up, api_person, publish_written_plan
) -> None:
    adam, mine, part = agreement_card(
        live_server, signed_up, api_person, publish_written_plan, who=PUPIL, text=HIS_PART
    )
    part.get_by_role("button", name=sv("Sign with your passkey")).click()
    expect(adam.locator(f"#agreement-{mine} .agreement__signers")).to_contain_text(
        sv("signed by %(name)s %(when)s").split("%(when)s")[0] % {"name": "Adam"}
    )
    expect_focus(
        adam,
        adam.locator("main .notice--success", has_text=sv("Thank you. Your signature is saved.")),
    )


def test_marking_his_part_done_focuses_it(
    live_server, signed_up, api_person, publish_written_plan
) -> None:
    adam, mine, part = agreement_card(
        live_server, signed_up, api_person, publish_written_plan, who=PUPIL, text=HIS_PART
    )
    part.get_by_label(sv("Comment (if you want)")).fill("Jag har tränat varje dag.")
    part.get_by_role("button", name=sv("I have done my part")).click()
    result = adam.locator(f"#agreement-{mine} .agreement__progress")
    expect(result).to_contain_text("Jag har tränat varje dag.")
    expect_focus(adam, result)


def test_proposing_a_goal_focuses_the_proposal(signed_up) -> None:
    adam = signed_up(PUPIL, DESKTOP)
    adam.get_by_text(sv("Propose a goal of my own")).click()
    adam.get_by_label(sv("Area")).fill("Idrott och hälsa")
    adam.get_by_label(sv("The goal")).fill("Jag kan springa fem kilometer.")
    adam.get_by_role("button", name=sv("Send my proposal")).click()
    proposal = adam.locator("#my-proposals li", has_text="Jag kan springa fem kilometer.")
    expect(proposal).to_contain_text(sv("Waiting for your mentor"))
    expect_focus(adam, proposal)


def test_a_refused_proposal_focuses_the_error_summary(signed_up, watch) -> None:
    watch.allow_console(r"status of 422")
    adam = signed_up(PUPIL, DESKTOP)
    adam.get_by_text(sv("Propose a goal of my own")).click()
    adam.get_by_role("button", name=sv("Send my proposal")).click()  # nothing written
    expect_error_summary(adam)


def test_a_refused_signature_keeps_the_focus_on_its_button(
    live_server, new_context, add_authenticator, enrol, api_person, publish_written_plan, watch
) -> None:
    watch.allow_console(r"status of 4\d\d")
    texts = published(api_person, publish_written_plan, live_server)
    page = new_context(**DESKTOP).new_page()
    authenticator = add_authenticator(page)
    enrol(page, live_server.enrolment_url("Sanna Dahl"))  # Adam's guardian
    page.goto(f"/pupils/{live_server.person_id(PUPIL)}")
    authenticator.cdp.send(
        "WebAuthn.setResponseOverrideBits",
        {"authenticatorId": authenticator.id, "isBogusSignature": True},
    )
    first = next(iter(texts))
    button = page.locator(f"#agreement-{first}").get_by_role(
        "button", name=sv("Sign with your passkey")
    )
    button.focus()
    page.keyboard.press("Enter")
    status = page.locator(f"#agreement-{first} [data-passkey-status]")
    expect(status).to_be_visible()
    expect(status).not_to_be_empty()
    expect_focus(page, button)
    assert "signed=" not in page.url


def test_a_refused_change_focuses_the_error_summary(
    live_server, signed_up, api_person, publish_written_plan, watch
) -> None:
    watch.allow_console(r"status of 422")
    nils, _school, card = agreement_card(
        live_server, signed_up, api_person, publish_written_plan, who=MENTOR, text=SCHOOL_PART
    )
    card.get_by_text(sv("Change the agreement")).click()
    card.get_by_label(sv("What is agreed")).fill("")
    card.get_by_role("button", name=sv("Save the change")).click()
    summary = expect_error_summary(nils)
    expect(summary).to_contain_text(sv("Write what is agreed."))


def test_changing_an_agreement_focuses_it(
    live_server, signed_up, api_person, publish_written_plan
) -> None:
    """Last: the change voids the signatures on it."""
    nils, school, card = agreement_card(
        live_server, signed_up, api_person, publish_written_plan, who=MENTOR, text=SCHOOL_PART
    )
    card.get_by_text(sv("Change the agreement")).click()
    card.get_by_label(sv("What is agreed")).fill(SCHOOL_PART + " Och på torsdagar.")
    card.get_by_role("button", name=sv("Save the change")).click()
    result = nils.locator(f"#agreement-{school} .agreement__text")
    expect(result).to_have_text(SCHOOL_PART + " Och på torsdagar.")
    expect_focus(nils, result)
