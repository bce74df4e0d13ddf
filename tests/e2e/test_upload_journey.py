"""A pupil's plans go with her to the next school (issue 10, part 2), and everyone can take
all their data home (part 3).

Leo Ek (6D) comes from Bäckskolan, another installation with its own web origin: there his
plan is exported as `iup export` writes it. Here Nils Ahl, his mentor, finds "import earlier
terms" on Leo's history on his phone, uploads the file, sees whose history it holds and from
which school, says yes, sees what was imported, and follows
the link to the archived term, which names Bäckskolan and Leo's rating from there. On a
desktop, in English, the same file again and a file that is not JSON are refused on the
form. Then Leo (phone) and Per Nilsson, Alva's guardian (desktop), open "All my data" from
their account page, find themselves in it, and download it as JSON. axe on every page at
360 px (touch) and 1,280 px.

No other browser test uses Leo; Nils's group 6D only gains an archived plan of another
school, and Per only reads."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, col, select

from backend.db import make_engine
from backend.demo import external
from backend.models import Goal, Person, Plan, School, SelfAssessment
from tests.support import DESKTOP, PHONE, words

pytestmark = pytest.mark.e2e

IUP = str(Path(sys.executable).parent / "iup")

SENDING_SCHOOL = "Bäckskolan"
RATING = "Procent är lättare nu när jag räknar med rabatter."


def leos_file(live_server: Any, tmp_path: Path) -> Path:
    """Leo's history at another installation (the demo school, renamed, on another origin),
    with one rating of his, exported by the command line as a school would send it."""
    db = tmp_path / "sending.db"
    env = {
        **live_server.env,
        "IUP_DATABASE_URL": f"sqlite:///{db}",
        "IUP_ORIGIN": "https://backskolan.example",
        "IUP_RP_ID": "backskolan.example",
    }

    def iup(*args: str) -> str:
        done = subprocess.run(
            [IUP, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    iup("db", "upgrade")
    iup("demo")
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        school = session.exec(select(School).where(School.external_id == external("school"))).one()
        school.name = SENDING_SCHOOL
        session.add(school)
        leo = session.exec(select(Person).where(Person.external_id == external("leo"))).one()
        goal = session.exec(
            select(Goal)
            .join(Plan, col(Plan.id) == Goal.plan_id)
            .where(Plan.pupil_id == leo.id)
            .order_by(col(Goal.position))
        ).first()
        assert goal is not None and goal.id is not None
        session.add(SelfAssessment(goal_id=goal.id, level=3, comment=RATING))
        session.commit()
    engine.dispose()
    path = tmp_path / "iup-leo-ek.json"
    iup("export", external("leo"), "--out", str(path))
    return path


# Every text the upload's status line takes, in order, kept on the page (window.said).
SAID = """() => {
  window.said = [];
  new MutationObserver(() => {
    const status = document.getElementById("upload-status");
    if (status && status.textContent && window.said.at(-1) !== status.textContent)
      window.said.push(status.textContent);
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
}"""


def sv(msgid: str) -> str:
    """The Swedish page's words; a message the catalogue lacks yet shows as written."""
    try:
        return words("sv", msgid)
    except KeyError:
        return msgid


def fits(page: Any, width: int) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width, page.url


def test_his_mentor_uploads_leos_plans_from_his_earlier_school(
    live_server: Any, new_context: Any, add_authenticator: Any, enrol: Any,
    axe_check: Any, watch: Any, tmp_path: Path,
) -> None:  # fmt: skip
    # A refused file is the form again, with its status: the browser notes it.
    watch.allow_console(r"/import: Failed to load resource: .* status of (409|422)")
    path = leos_file(live_server, tmp_path)
    leo = live_server.person_id("Leo Ek")

    # On his phone, Nils finds the import on Leo's earlier terms.
    phone = new_context(**PHONE).new_page()
    add_authenticator(phone)
    enrol(phone, live_server.enrolment_url("Nils Ahl"))
    phone.goto(f"/pupils/{leo}/plans")
    expect(phone.locator(".plan-history li").filter(has_text="Stängd")).to_have_count(0)
    phone.get_by_role("link", name="Importera tidigare terminer från en annan skola").tap()
    phone.wait_for_url(re.compile(rf"/pupils/{leo}/import$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Importera tidigare terminer för Leo Ek"
    )
    fits(phone, 360)
    axe_check(phone)

    phone.get_by_label("Filen från den tidigare skolan").set_input_files(path)
    phone.evaluate(SAID)
    phone.get_by_role("button", name="Importera").tap()
    # Before anything is stored the page says whose history the file holds, from which
    # school, and asks; the question holds the focus.
    check = phone.locator("#check-upload")
    expect(check).to_contain_text("Leo Ek")
    expect(check).to_contain_text(SENDING_SCHOOL)
    assert phone.evaluate("document.activeElement.id") == "check-upload"
    # While it went, the page said how far: the file sent (a percentage), then importing.
    said = phone.evaluate("window.said")
    sending = words("sv", "Sending the file: %(percent)s %%").replace("%%", "%")
    assert sending.replace("%(percent)s", "100") in said, said
    assert words("sv", "The file is sent. Importing it…") in said, said
    assert said.index(words("sv", "The file is sent. Importing it…")) > said.index(
        sending.replace("%(percent)s", "100")
    )
    fits(phone, 360)
    axe_check(phone)
    phone.get_by_role("button", name=sv("Yes, import them for %(name)s") % {"name": "Leo Ek"}).tap()
    result = phone.locator("#imported")
    expect(result).to_contain_text("1 termin importerad")
    expect(result).to_contain_text("3 mål")
    expect(result).to_contain_text("1 svar om hur det går")
    expect(result).to_contain_text("0 överenskommelser")
    assert phone.evaluate("document.activeElement.id") == "imported"  # where the finger was
    box = result.bounding_box()
    assert box is not None and 0 <= box["y"] < 740
    fits(phone, 360)
    axe_check(phone)

    # His history holds the archived term from Bäckskolan, with his rating from there.
    phone.get_by_role("link", name="Se tidigare terminer för Leo Ek").tap()
    phone.wait_for_url(re.compile(rf"/pupils/{leo}/plans$"))
    imported = phone.locator(".plan-history li").filter(has_text="Stängd")
    expect(imported).to_have_count(1)
    expect(imported).to_contain_text(SENDING_SCHOOL)
    imported.get_by_role("link").tap()
    phone.wait_for_url(re.compile(r"/plans/\d+$"))
    expect(phone.locator(".record__facts")).to_contain_text(SENDING_SCHOOL)
    expect(phone.locator("main")).to_contain_text(RATING)
    axe_check(phone)

    # On a desktop, in English: the same file again, and a file that is not JSON, are
    # refused on the form, with the error summary focused.
    desk = new_context(**DESKTOP, locale="en-GB").new_page()
    add_authenticator(desk)
    enrol(desk, live_server.enrolment_url("Nils Ahl"))
    desk.goto(f"/pupils/{leo}/import")
    speak(desk, "English")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Import earlier terms for Leo Ek")
    fits(desk, 1280)
    axe_check(desk)
    field = desk.get_by_label("The file from the earlier school")
    field.set_input_files(path)
    desk.get_by_role("button", name="Import", exact=True).click()
    summary = desk.locator(".error-summary")
    expect(summary).to_contain_text("it was imported before")
    assert desk.evaluate("document.activeElement.classList.contains('error-summary')")
    axe_check(desk)
    field.set_input_files(
        {"name": "plan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7"}
    )
    desk.get_by_role("button", name="Import", exact=True).click()
    expect(summary).to_contain_text("The file is not a JSON file")
    fits(desk, 1280)
    axe_check(desk)
    desk.goto(f"/pupils/{leo}/plans")
    expect(desk.locator(".plan-history li").filter(has_text="Archived")).to_have_count(1)


def speak(page: Any, language: str) -> None:
    """Choose the language: a person's saved one is what earlier tests on the shared
    server chose for her."""
    other = page.locator(".lang-switch").get_by_role("button", name=language)
    if other.count():
        other.click()
        expect(page.locator(".lang-switch").get_by_role("button", name=language)).to_have_count(0)


def open_my_data(page: Any, *, touch: bool) -> None:
    """From the account page, where the header's menu leads, in Swedish."""
    page.goto("/account")
    speak(page, "Svenska")
    link = page.get_by_role("link", name="Allt om mig")
    if touch:
        link.tap()
    else:
        link.click()
    page.wait_for_url(re.compile(r"/me/data$"))


def download_json(page: Any, name: str) -> dict[str, Any]:
    with page.expect_download() as info:
        page.get_by_role("link", name=name).click()
    download = info.value
    assert re.fullmatch(r"iup-my-data-\d{4}-\d{2}-\d{2}\.json", download.suggested_filename)
    data: dict[str, Any] = json.loads(Path(download.path()).read_text())
    return data


def test_a_pupil_and_a_guardian_take_all_their_data_home(
    live_server: Any, new_context: Any, add_authenticator: Any, enrol: Any,
    axe_check: Any,
) -> None:  # fmt: skip
    # Leo, on his phone: himself, his passkey, his goals.
    phone = new_context(**PHONE).new_page()
    add_authenticator(phone)
    enrol(phone, live_server.enrolment_url("Leo Ek"))
    open_my_data(phone, touch=True)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Allt om mig")
    you = phone.locator("section[aria-labelledby='md-person']")
    expect(you).to_contain_text("Leo Ek")
    expect(phone.locator("section[aria-labelledby='md-passkeys'] article")).to_have_count(1)
    expect(phone.get_by_role("heading", level=2, name="Din plan")).to_be_visible()
    expect(phone.locator("main")).to_contain_text("Jag kan räkna med procent i vardagliga exempel.")
    fits(phone, 360)
    axe_check(phone)
    mine = download_json(phone, "Ladda ner som fil (JSON)")
    assert mine["format"] == "iup-my-data/1"
    assert (mine["person"]["given_name"], mine["person"]["family_name"]) == ("Leo", "Ek")
    assert len(mine["passkeys"]) == 1
    assert [c["name"] for c in mine["children"]] == ["Leo Ek"]

    # Per, Alva's guardian, on a desktop: himself and Alva's plan, never another child's.
    desk = new_context(**DESKTOP).new_page()
    add_authenticator(desk)
    enrol(desk, live_server.enrolment_url("Per Nilsson"))
    open_my_data(desk, touch=False)
    expect(desk.locator("section[aria-labelledby='md-person']")).to_contain_text("Per Nilsson")
    expect(desk.get_by_role("heading", level=2, name="Planen för Alva Nilsson")).to_be_visible()
    expect(desk.locator("main")).not_to_contain_text("Elias Karlsson")
    fits(desk, 1280)
    axe_check(desk)
    his = download_json(desk, "Ladda ner som fil (JSON)")
    assert his["person"]["given_name"] == "Per"
    assert [c["name"] for c in his["children"]] == ["Alva Nilsson"]
