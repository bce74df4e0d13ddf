"""backend.auth.service against a real (migrated) SQLite database and a software passkey."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from backend.auth.service import (
    authentication_options,
    finish_authentication,
    finish_registration,
    issue_enrolment_code,
    redeemable_code,
    registration_options,
)
from backend.auth.sessions import (
    end_session,
    passkeys_of,
    remove_passkey,
    rename_passkey,
    start_session,
    viewer_for,
)
from backend.errors import Refusal
from backend.models import (
    AuditEvent,
    Challenge,
    EnrolmentCode,
    LoginSession,
    PasskeyCredential,
    Person,
    utcnow,
)
from backend.settings import Settings
from tests.softauthn import SoftAuthenticator

WRONG_ORIGIN = "http://evil.example:8000"
CLIENT = "192.0.2.1"


def person_id(person: Person) -> int:
    assert person.id is not None
    return person.id


def passkey_id(passkey: PasskeyCredential) -> int:
    assert passkey.id is not None
    return passkey.id


def enrol(
    session: Session,
    settings: Settings,
    person: Person,
    authenticator: SoftAuthenticator | None = None,
    nickname: str = "Phone",
) -> tuple[SoftAuthenticator, PasskeyCredential]:
    """Code → options → create() → stored passkey, as the enrolment page does it."""
    authenticator = authenticator or SoftAuthenticator()
    code = issue_enrolment_code(session, person_id=person_id(person), hours=72)
    row = redeemable_code(session, code=code, client=CLIENT)
    options = registration_options(session, settings=settings, person=person, code_id=row.id)
    passkey = finish_registration(
        session,
        settings=settings,
        credential=authenticator.register(options),
        person_id=person_id(person),
        nickname=nickname,
    )
    return authenticator, passkey


def assertion(
    session: Session, settings: Settings, authenticator: SoftAuthenticator, **login: Any
) -> dict[str, Any]:
    options = authentication_options(session, settings=settings, client=CLIENT)
    return authenticator.login(options, **login)


def sign_in(
    session: Session, settings: Settings, authenticator: SoftAuthenticator, **login: Any
) -> PasskeyCredential:
    credential = assertion(session, settings, authenticator, **login)
    return finish_authentication(session, settings=settings, credential=credential, client=CLIENT)


def refused(call: Callable[[], object]) -> str:
    with pytest.raises(Refusal) as info:
        call()
    return info.value.reason


def registration_refused(
    session: Session, settings: Settings, credential: dict[str, Any], person: Person
) -> str:
    return refused(
        lambda: finish_registration(
            session,
            settings=settings,
            credential=credential,
            person_id=person_id(person),
            nickname="x",
        )
    )


def authentication_refused(session: Session, settings: Settings, credential: dict[str, Any]) -> str:
    return refused(
        lambda: finish_authentication(
            session, settings=settings, credential=credential, client=CLIENT
        )
    )


def kinds(session: Session) -> list[str]:
    return [event.kind for event in session.exec(select(AuditEvent)).all()]


# The whole journey ----------------------------------------------------------------------


def test_enrol_sign_in_and_out(
    session: Session, settings: Settings, engine: Engine, person: Person
) -> None:
    code = issue_enrolment_code(session, person_id=person_id(person), hours=72)
    code_row = redeemable_code(session, code=code, client=CLIENT)
    assert code_row.person_id == person.id

    options = registration_options(session, settings=settings, person=person, code_id=code_row.id)
    parsed = json.loads(options)
    assert parsed["authenticatorSelection"]["residentKey"] == "required"
    assert parsed["authenticatorSelection"]["userVerification"] == "required"
    assert {"type": "public-key", "alg": -7} in parsed["pubKeyCredParams"]

    authenticator = SoftAuthenticator()
    passkey = finish_registration(
        session,
        settings=settings,
        credential=authenticator.register(options),
        person_id=person_id(person),
        nickname="Phone",
    )
    assert authenticator.user_handle == person.user_handle

    with Session(engine) as fresh:  # what was committed, not what the session remembers
        stored = fresh.get(PasskeyCredential, passkey.id)
        assert stored is not None
        assert stored.person_id == person.id
        assert stored.credential_id == authenticator.credential_id
        assert stored.public_key
        assert stored.sign_count == 0
        assert stored.transports == "internal,hybrid"
        assert stored.nickname == "Phone"
        assert stored.last_used_at is not None  # it signed the person up
        used = fresh.get(EnrolmentCode, code_row.id)
        assert used is not None
        assert used.used_at is not None
    assert refused(lambda: redeemable_code(session, code=code, client=CLIENT)) == "code_used"

    signed_in = finish_authentication(
        session,
        settings=settings,
        credential=assertion(session, settings, authenticator),
        client=CLIENT,
    )
    assert signed_in.id == passkey.id
    with Session(engine) as fresh:
        stored = fresh.get(PasskeyCredential, passkey.id)
        assert stored is not None
        assert stored.sign_count == 1
        assert stored.last_used_at is not None
        assert stored.last_used_at <= utcnow()

    token, _csrf = start_session(
        session, person_id=person_id(person), passkey_id=passkey_id(passkey), settings=settings
    )
    viewer = viewer_for(session, token=token)
    assert viewer is not None
    assert (viewer.person_id, viewer.given_name, viewer.family_name) == (person.id, "Alva", "Berg")
    assert viewer_for(session, token=token + "x") is None

    end_session(session, token=token)
    assert viewer_for(session, token=token) is None
    assert {"enrolment_code_issued", "passkey_added", "signed_in"} <= set(kinds(session))


# Refused ceremonies -----------------------------------------------------------------------


def test_registration_from_wrong_origin(
    session: Session, settings: Settings, person: Person
) -> None:
    options = registration_options(session, settings=settings, person=person)
    credential = SoftAuthenticator().register(options, origin=WRONG_ORIGIN)
    assert registration_refused(session, settings, credential, person) == "verification"
    assert passkeys_of(session, person_id=person_id(person)) == []
    assert "passkey_refused" in kinds(session)


def test_registration_without_user_verification(
    session: Session, settings: Settings, person: Person
) -> None:
    options = registration_options(session, settings=settings, person=person)
    credential = SoftAuthenticator().register(options, user_verified=False)
    assert registration_refused(session, settings, credential, person) == "verification"
    assert passkeys_of(session, person_id=person_id(person)) == []


def test_authentication_from_wrong_origin(
    session: Session, settings: Settings, person: Person
) -> None:
    authenticator, _ = enrol(session, settings, person)
    credential = assertion(session, settings, authenticator, origin=WRONG_ORIGIN)
    assert authentication_refused(session, settings, credential) == "verification"


def test_authentication_without_user_verification(
    session: Session, settings: Settings, person: Person
) -> None:
    authenticator, passkey = enrol(session, settings, person)
    credential = assertion(session, settings, authenticator, user_verified=False)
    signed_up = passkey.last_used_at
    assert authentication_refused(session, settings, credential) == "verification"
    session.refresh(passkey)
    assert passkey.last_used_at == signed_up


def test_registration_for_another_rp_id(
    session: Session, settings: Settings, person: Person
) -> None:
    options = registration_options(session, settings=settings, person=person)
    credential = SoftAuthenticator(rp_id="evil.example").register(options)
    assert registration_refused(session, settings, credential, person) == "verification"


def test_authentication_for_another_rp_id(
    session: Session, settings: Settings, person: Person
) -> None:
    authenticator, _ = enrol(session, settings, person)
    authenticator.rp_id = "evil.example"
    credential = assertion(session, settings, authenticator)
    assert authentication_refused(session, settings, credential) == "verification"


@pytest.mark.parametrize("damage", ["empty", "response", "client_data", "raw_id"])
def test_malformed_assertion(
    session: Session, settings: Settings, person: Person, damage: str
) -> None:
    authenticator, _ = enrol(session, settings, person)
    credential = assertion(session, settings, authenticator)
    if damage == "empty":
        credential = {}
    elif damage == "response":
        credential["response"] = "x"
    elif damage == "client_data":
        credential["response"]["clientDataJSON"] = "a"
    else:
        credential["rawId"] = "a"
    assert authentication_refused(session, settings, credential) == "malformed"


def test_undecodable_user_handle(session: Session, settings: Settings, person: Person) -> None:
    authenticator, _ = enrol(session, settings, person)
    credential = assertion(session, settings, authenticator)
    credential["response"]["userHandle"] = "a"
    assert authentication_refused(session, settings, credential) == "unknown_passkey"


def test_replayed_assertion(session: Session, settings: Settings, person: Person) -> None:
    authenticator, _ = enrol(session, settings, person)
    credential = assertion(session, settings, authenticator)
    finish_authentication(session, settings=settings, credential=credential, client=CLIENT)
    assert authentication_refused(session, settings, credential) == "challenge"


def test_fresh_assertion_over_used_challenge(
    session: Session, settings: Settings, person: Person
) -> None:
    authenticator, _ = enrol(session, settings, person)
    options = authentication_options(session, settings=settings, client=CLIENT)
    finish_authentication(
        session, settings=settings, credential=authenticator.login(options), client=CLIENT
    )
    again = authenticator.login(options)  # newly signed, higher counter, same challenge
    assert authentication_refused(session, settings, again) == "challenge"


def test_refused_assertion_uses_up_its_challenge(
    session: Session, settings: Settings, person: Person
) -> None:
    authenticator, _ = enrol(session, settings, person)
    options = authentication_options(session, settings=settings, client=CLIENT)
    bad = authenticator.login(options, origin=WRONG_ORIGIN)
    assert authentication_refused(session, settings, bad) == "verification"
    good = authenticator.login(options)
    assert authentication_refused(session, settings, good) == "challenge"


def test_assertion_against_registration_challenge(
    session: Session, settings: Settings, person: Person
) -> None:
    authenticator, _ = enrol(session, settings, person)
    options = registration_options(session, settings=settings, person=person)
    credential = authenticator.login(options)
    assert authentication_refused(session, settings, credential) == "challenge"


def expire_challenges(session: Session) -> None:
    for row in session.exec(select(Challenge)).all():
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    session.commit()


def test_expired_authentication_challenge(
    session: Session, settings: Settings, person: Person
) -> None:
    authenticator, _ = enrol(session, settings, person)
    credential = assertion(session, settings, authenticator)
    expire_challenges(session)
    assert authentication_refused(session, settings, credential) == "challenge"


def test_expired_registration_challenge(
    session: Session, settings: Settings, person: Person
) -> None:
    options = registration_options(session, settings=settings, person=person)
    credential = SoftAuthenticator().register(options)
    expire_challenges(session)
    assert registration_refused(session, settings, credential, person) == "challenge"


def test_registration_challenge_of_another_person(
    session: Session, settings: Settings, person: Person, make_person: Callable[..., Person]
) -> None:
    other = make_person("Bo", "Ek")
    options = registration_options(session, settings=settings, person=person)
    credential = SoftAuthenticator().register(options)
    assert registration_refused(session, settings, credential, other) == "challenge"
    assert passkeys_of(session, person_id=person_id(other)) == []
    assert passkeys_of(session, person_id=person_id(person)) == []


@pytest.mark.parametrize("forced", [0, 1, 2])
def test_sign_count_regression(
    session: Session, settings: Settings, person: Person, forced: int
) -> None:
    authenticator, passkey = enrol(session, settings, person)
    sign_in(session, settings, authenticator)
    sign_in(session, settings, authenticator)
    assert passkey.sign_count == 2
    credential = assertion(session, settings, authenticator, sign_count=forced)
    assert authentication_refused(session, settings, credential) == "sign_count"
    events = session.exec(
        select(AuditEvent).where(AuditEvent.kind == "sign_count_regression")
    ).all()
    assert [event.actor_id for event in events] == [person.id]
    assert passkey.sign_count == 2


def test_zero_counter_authenticator_keeps_working(
    session: Session, settings: Settings, person: Person
) -> None:
    """Synced passkeys often report 0 every time; 0 after 0 is not a regression."""
    authenticator, passkey = enrol(session, settings, person)
    sign_in(session, settings, authenticator, sign_count=0)
    assert sign_in(session, settings, authenticator, sign_count=0).id == passkey.id
    assert passkey.sign_count == 0


@pytest.mark.parametrize("handle", ["other", "random", "empty"])
def test_user_handle_not_the_owners(
    session: Session,
    settings: Settings,
    person: Person,
    make_person: Callable[..., Person],
    handle: str,
) -> None:
    authenticator, _ = enrol(session, settings, person)
    wrong = {"other": make_person("Bo", "Ek").user_handle, "random": b"\x01" * 32, "empty": b""}[
        handle
    ]
    credential = assertion(session, settings, authenticator, user_handle=wrong)
    assert authentication_refused(session, settings, credential) == "unknown_passkey"


def test_unknown_credential(session: Session, settings: Settings, person: Person) -> None:
    enrol(session, settings, person)
    stranger = SoftAuthenticator()
    stranger.user_handle = person.user_handle
    credential = assertion(session, settings, stranger)
    assert authentication_refused(session, settings, credential) == "unknown_passkey"


# Enrolment codes ----------------------------------------------------------------------------


def test_unknown_code(session: Session) -> None:
    assert (
        refused(lambda: redeemable_code(session, code="no-such-code", client=CLIENT))
        == "code_unknown"
    )


def test_expired_code(session: Session, person: Person) -> None:
    code = issue_enrolment_code(session, person_id=person_id(person), hours=72)
    row = redeemable_code(session, code=code, client=CLIENT)
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    assert refused(lambda: redeemable_code(session, code=code, client=CLIENT)) == "code_expired"


def test_code_expiring_during_the_ceremony(
    session: Session, settings: Settings, person: Person
) -> None:
    code = issue_enrolment_code(session, person_id=person_id(person), hours=72)
    row = redeemable_code(session, code=code, client=CLIENT)
    options = registration_options(session, settings=settings, person=person, code_id=row.id)
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    credential = SoftAuthenticator().register(options)
    assert registration_refused(session, settings, credential, person) == "code_expired"
    assert passkeys_of(session, person_id=person_id(person)) == []


def test_used_code(session: Session, settings: Settings, person: Person) -> None:
    code = issue_enrolment_code(session, person_id=person_id(person), hours=72)
    row = redeemable_code(session, code=code, client=CLIENT)
    options = registration_options(session, settings=settings, person=person, code_id=row.id)
    finish_registration(
        session,
        settings=settings,
        credential=SoftAuthenticator().register(options),
        person_id=person_id(person),
        nickname="x",
    )
    assert refused(lambda: redeemable_code(session, code=code, client=CLIENT)) == "code_used"


def test_two_ceremonies_racing_on_one_code(
    session: Session, settings: Settings, person: Person
) -> None:
    code = issue_enrolment_code(session, person_id=person_id(person), hours=72)
    row = redeemable_code(session, code=code, client=CLIENT)
    first = registration_options(session, settings=settings, person=person, code_id=row.id)
    second = registration_options(session, settings=settings, person=person, code_id=row.id)
    finish_registration(
        session,
        settings=settings,
        credential=SoftAuthenticator().register(first),
        person_id=person_id(person),
        nickname="one",
    )
    credential = SoftAuthenticator().register(second)
    assert (
        refused(
            lambda: finish_registration(
                session,
                settings=settings,
                credential=credential,
                person_id=person_id(person),
                nickname="two",
            )
        )
        == "code_used"
    )
    assert [p.nickname for p in passkeys_of(session, person_id=person_id(person))] == ["one"]


def test_new_code_replaces_the_unused_one(
    session: Session, settings: Settings, person: Person
) -> None:
    old = issue_enrolment_code(session, person_id=person_id(person), hours=72)
    old_row = redeemable_code(session, code=old, client=CLIENT)
    options = registration_options(session, settings=settings, person=person, code_id=old_row.id)
    new = issue_enrolment_code(session, person_id=person_id(person), hours=72)
    assert refused(lambda: redeemable_code(session, code=old, client=CLIENT)) == "code_replaced"
    credential = SoftAuthenticator().register(options)
    assert registration_refused(session, settings, credential, person) == "code_replaced"
    assert redeemable_code(session, code=new, client=CLIENT).person_id == person.id


def test_new_code_leaves_other_peoples_codes(
    session: Session, person: Person, make_person: Callable[..., Person]
) -> None:
    other = make_person("Bo", "Ek")
    theirs = issue_enrolment_code(session, person_id=person_id(other), hours=72)
    issue_enrolment_code(session, person_id=person_id(person), hours=72)
    assert redeemable_code(session, code=theirs, client=CLIENT).person_id == other.id


def test_transports_not_a_list(session: Session, settings: Settings, person: Person) -> None:
    options = registration_options(session, settings=settings, person=person)
    credential = SoftAuthenticator().register(options)
    credential["response"]["transports"] = "internal"
    passkey = finish_registration(
        session, settings=settings, credential=credential, person_id=person_id(person), nickname="x"
    )
    assert passkey.transports == ""


def test_expired_session(session: Session, person: Person, settings: Settings) -> None:
    ended = msgspec.structs.replace(settings, session_hours=0)
    token, _csrf = start_session(
        session, person_id=person_id(person), passkey_id=None, settings=ended
    )
    assert viewer_for(session, token=token) is None


def test_expired_sessions_are_swept_when_a_new_one_starts(
    session: Session, person: Person, settings: Settings
) -> None:
    ended = msgspec.structs.replace(settings, session_hours=0)
    start_session(session, person_id=person_id(person), passkey_id=None, settings=ended)
    live, _csrf = start_session(
        session, person_id=person_id(person), passkey_id=None, settings=settings
    )
    assert len(session.exec(select(LoginSession)).all()) == 1
    assert viewer_for(session, token=live) is not None


# Managing passkeys ----------------------------------------------------------------------------


def test_remove_passkey_ends_only_its_sessions(
    session: Session, settings: Settings, person: Person
) -> None:
    phone, first = enrol(session, settings, person, nickname="Phone")
    laptop, second = enrol(session, settings, person, nickname="Laptop")
    tokens = {
        passkey_id(sign_in(session, settings, authenticator)): start_session(
            session, person_id=person_id(person), passkey_id=passkey_id(key), settings=settings
        ).token
        for authenticator, key in ((phone, first), (laptop, second))
    }
    remove_passkey(session, person_id=person_id(person), passkey_id=passkey_id(first))
    assert viewer_for(session, token=tokens[passkey_id(first)]) is None
    assert viewer_for(session, token=tokens[passkey_id(second)]) is not None
    assert [p.id for p in passkeys_of(session, person_id=person_id(person))] == [second.id]
    assert refused(lambda: sign_in(session, settings, phone)) == "unknown_passkey"


def test_rename_own_passkey(
    session: Session, settings: Settings, engine: Engine, person: Person
) -> None:
    _, passkey = enrol(session, settings, person)
    rename_passkey(
        session,
        person_id=person_id(person),
        passkey_id=passkey_id(passkey),
        nickname="  School iPad " + "x" * 80,
    )
    with Session(engine) as fresh:
        stored = fresh.get(PasskeyCredential, passkey.id)
        assert stored is not None
        assert stored.nickname == ("School iPad " + "x" * 80)[:60]


def test_another_persons_passkey_is_not_found(
    session: Session, settings: Settings, person: Person, make_person: Callable[..., Person]
) -> None:
    _, passkey = enrol(session, settings, person)
    other = person_id(make_person("Bo", "Ek"))
    assert (
        refused(
            lambda: rename_passkey(
                session, person_id=other, passkey_id=passkey_id(passkey), nickname="mine"
            )
        )
        == "not_found"
    )
    assert (
        refused(lambda: remove_passkey(session, person_id=other, passkey_id=passkey_id(passkey)))
        == "not_found"
    )
    assert (
        refused(lambda: remove_passkey(session, person_id=other, passkey_id=10_000)) == "not_found"
    )
    assert [(p.id, p.nickname) for p in passkeys_of(session, person_id=person_id(person))] == [
        (passkey.id, "Phone")
    ]
