"""Sign-in, enrolment, sign-out and one's own passkeys."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel import Session

from backend import web
from backend.access import PUBLIC, SIGNED_IN
from backend.auth import devices, service, sessions
from backend.auth.ceremony import AuthError, credential_dict, options
from backend.auth.schemas import (
    CredentialJSON,
    LanguageForm,
    RemoveForm,
    RenameForm,
    SessionsEnded,
    SignedIn,
)
from backend.auth.schemas import Redirect as RedirectJSON
from backend.auth.sessions import CSRF_COOKIE, SESSION_COOKIE
from backend.errors import refusals
from backend.i18n import LANGUAGES, _
from backend.models import Person
from backend.notifications import service as notifications
from backend.settings import Settings
from backend.viewer import Viewer
from backend.web import Page, RowId, client_address, safe_next

_REFUSED = {
    400: "Refused; `message` says why, translated",
    410: "The one-time code is used or too old",
    429: "Too many tries; see Retry-After",
}
REFUSED = refusals(_REFUSED, session=False)
ACCOUNT_RESPONSES = refusals(_REFUSED)


def device_name(request: Request[Any, Any, Any], data: CredentialJSON) -> str:
    """A first nickname the person recognises; they can rename it."""
    transports = data.response.get("transports")
    return devices.device_name(
        user_agent=request.headers.get("user-agent", "")[:512],
        attachment=data.authenticatorAttachment,
        transports=[t for t in transports if isinstance(t, str)]
        if isinstance(transports, list)
        else [],
    )


def signed_in(settings: Settings, target: str, started: sessions.Started) -> Response[SignedIn]:
    """Both cookies new at sign-in (no session or CSRF token from before it lives on). The
    CSRF cookie lasts as long as the session, so a browser restarted in between still has
    the token its session accepts; the page's script gets it too, for a form it sends on
    (a save held while the session had ended)."""
    both = [(SESSION_COOKIE, started.token), (CSRF_COOKIE, started.csrf)]
    return Response(
        SignedIn(redirect=target, csrf=started.csrf),
        cookies=[
            Cookie(
                key=settings.cookie(name),
                value=value,
                httponly=True,
                secure=settings.secure_cookies,
                samesite="strict" if name == CSRF_COOKIE else "lax",
                path="/",
                max_age=settings.session_hours * 3600,
            )
            for name, value in both
        ],
    )


def signed_out(request: Request[Any, Any, Any], response: Response[Any]) -> Response[Any]:
    """The session's cookie goes (its CSRF cookie is bound to the ended session and is
    replaced at the next sign-in)."""
    response.delete_cookie(request.app.state.settings.cookie(SESSION_COOKIE), path="/")
    return response


def to_signed_out_page(request: Request[Any, Any, Any]) -> Response[Any]:
    """After signing out (here or everywhere): the sign-in page that says so, and this
    browser forgets what it holds for us: cached files and offline drafts."""
    response = web.see_other(request, "auth.login_page", query={"signed_out": 1})
    response.headers["clear-site-data"] = '"cache", "storage"'
    return signed_out(request, response)


def start(
    request: Request[Any, Any, Any],
    db: Session,
    settings: Settings,
    *,
    person_id: int,
    passkey_id: int | None,
) -> sessions.Started:
    return sessions.start_session(
        db,
        person_id=person_id,
        passkey_id=passkey_id,
        settings=settings,
        replacing=request.cookies.get(settings.cookie(SESSION_COOKIE)),
    )


def per_address(request: Request[Any, Any, Any]) -> int:
    """Sign-ins a minute allowed from one address (IUP_SIGN_INS_PER_ADDRESS): a school or a
    city behind one address signs up a class at once."""
    return int(request.app.state.settings.sign_ins_per_address)


def client(request: Request[Any, Any, Any]) -> str:
    return client_address(request.scope, request.app.state.settings.proxies)


class AuthController(Controller):
    """Public pages: sign-in, enrolment with a one-time code, sign-out, language."""

    dependencies = PUBLIC
    include_in_schema = False

    @get("/login", sync_to_thread=False, name="auth.login_page")
    def login_page(
        self,
        next: FromQuery[str] = "/",
        signed_out: FromQuery[bool] = False,
        removed: FromQuery[bool] = False,
        expired: FromQuery[bool] = False,
    ) -> Template:
        return Page(
            "auth/login.html",
            context={
                "next": safe_next(next),
                "signed_out": signed_out,
                "removed": removed,
                "expired": expired,
            },
        )

    @get("/enrol/{code:str}", sync_to_thread=False, name="auth.enrol_page")
    def enrol_page(
        self, request: Request[Any, Any, Any], db: NamedDependency[Session], code: FromPath[str]
    ) -> Template | Redirect:
        try:
            row = service.redeemable_code(
                db, code=code, client=client(request), per_minute=per_address(request)
            )
        except AuthError as error:
            # Someone already signed in (often the person who used the link) goes home.
            if sessions.peek_viewer(request) is not None:
                return web.see_other(request, "home.home")
            return Page(
                "auth/enrol.html",
                status_code=410,
                context={"error": _(error.message), "code": code, "person": None},
            )
        person = db.get(Person, row.person_id)
        return Page("auth/enrol.html", context={"code": code, "person": person, "error": None})

    @post("/logout", sync_to_thread=False, name="auth.logout")
    def logout(
        self, request: Request[Any, Any, Any], db: NamedDependency[Session]
    ) -> Response[Any]:
        if token := request.cookies.get(request.app.state.settings.cookie(SESSION_COOKIE)):
            sessions.end_session(db, token=token)
        return to_signed_out_page(request)

    @get("/logout", sync_to_thread=False, name="auth.logout_page")
    def logout_page(self, request: Request[Any, Any, Any]) -> Template:
        """A typed or bookmarked /logout: the sign-out button (signing out is a POST, so
        that no link or prefetch can end a session)."""
        return Page("auth/logout.html", context={"viewer": sessions.peek_viewer(request)})

    @post("/lang", sync_to_thread=False, name="auth.language")
    def language(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        data: URLEncodedBody[LanguageForm],
    ) -> Response[Any]:
        """For this browser (a cookie) and, when someone is signed in, for her (stored: her
        other devices follow, and it wins over what a browser asks for)."""
        response = Redirect(safe_next(data.next), status_code=303)
        if data.lang in LANGUAGES:
            response.set_cookie(
                "lang", data.lang, max_age=365 * 86400, path="/", samesite="lax", httponly=True
            )
            if viewer := sessions.peek_viewer(request):
                sessions.store_language(db, person_id=viewer.person_id, locale=data.lang)
        return response


class AccountController(Controller):
    """One's own passkeys, the page: rename, remove (adding is a ceremony, below)."""

    path = "/account"
    dependencies = SIGNED_IN
    include_in_schema = False

    @get("/", sync_to_thread=False, name="auth.account")
    def account(
        self,
        db: NamedDependency[Session],
        access: NamedDependency[Viewer],
        saved: FromQuery[bool] = False,
    ) -> Template:
        return Page(
            "auth/account.html",
            context={
                "viewer": access,
                "nav": "account",
                "saved": saved,
                "passkeys": sessions.passkeys_of(db, person_id=access.person_id),
                "current": access.passkey_id,
                "sessions": sessions.live_sessions(db, person_id=access.person_id),
                "push": notifications.push_choices_of(db, person_id=access.person_id),
            },
        )

    @post("/sign-out-everywhere", sync_to_thread=False, name="auth.sign_out_everywhere")
    def sign_out_everywhere(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        access: NamedDependency[Viewer],
    ) -> Response[Any]:
        """Every session of hers ends, this browser's too; she signs in again here."""
        sessions.end_everywhere(db, person_id=access.person_id)
        return to_signed_out_page(request)

    @post(
        "/passkeys/{passkey_id:int}/rename",
        sync_to_thread=False,
        name="auth.rename",
    )
    def rename(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        access: NamedDependency[Viewer],
        passkey_id: RowId,
        data: URLEncodedBody[RenameForm],
    ) -> Redirect:
        sessions.rename_passkey(
            db,
            person_id=access.person_id,
            passkey_id=passkey_id,
            nickname=data.nickname or _("Passkey"),
        )
        return web.see_other(request, "auth.account", query={"saved": 1})

    @post(
        "/passkeys/{passkey_id:int}/remove",
        sync_to_thread=False,
        name="auth.remove",
    )
    def remove(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        access: NamedDependency[Viewer],
        passkey_id: RowId,
        data: URLEncodedBody[RemoveForm],
    ) -> Response[Any]:
        target, last = sessions.passkey_to_remove(
            db, person_id=access.person_id, passkey_id=passkey_id
        )
        if last and data.confirm != "yes":
            return Page(
                "auth/confirm_remove.html",
                context={"viewer": access, "nav": "account", "passkey": target},
            )
        sessions.remove_passkey(db, person_id=access.person_id, passkey_id=passkey_id)
        if access.passkey_id == passkey_id:
            return signed_out(
                request, web.see_other(request, "auth.login_page", query={"removed": 1})
            )
        return web.see_other(request, "auth.account", query={"saved": 1})


class AuthApiController(Controller):
    """The WebAuthn ceremonies of signing in and of enrolling with a one-time code (JSON
    for the page's script; their paths predate /api and are kept)."""

    dependencies = PUBLIC
    tags = ("auth",)

    @post(
        "/auth/login/options",
        sync_to_thread=False,
        summary="Start a usernameless sign-in",
        responses=REFUSED,
        name="auth.login_options",
    )
    def login_options(
        self, request: Request[Any, Any, Any], db: NamedDependency[Session], state: State
    ) -> dict[str, Any]:
        return options(
            service.authentication_options(db, settings=state.settings, client=client(request))
        )

    @post(
        "/auth/login/verify",
        sync_to_thread=False,
        summary="Finish a sign-in",
        responses=REFUSED,
        name="auth.login_verify",
    )
    def login_verify(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        data: JSONBody[CredentialJSON],
        next: FromQuery[str] = "/",
    ) -> Response[SignedIn]:
        settings: Settings = state.settings
        passkey = service.finish_authentication(
            db, settings=settings, credential=credential_dict(data), client=client(request)
        )
        started = start(request, db, settings, person_id=passkey.person_id, passkey_id=passkey.id)
        return signed_in(settings, safe_next(next), started)

    @post(
        "/enrol/{code:str}/options",
        sync_to_thread=False,
        summary="Start registering a first passkey with a one-time code",
        responses=REFUSED,
        name="auth.enrol_options",
    )
    def enrol_options(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        code: FromPath[str],
    ) -> dict[str, Any]:
        row = service.redeemable_code(
            db, code=code, client=client(request), per_minute=per_address(request)
        )
        person = db.get(Person, row.person_id)
        assert person is not None
        settings = state.settings
        return options(
            service.registration_options(db, settings=settings, person=person, code_id=row.id)
        )

    @post(
        "/enrol/{code:str}/verify",
        sync_to_thread=False,
        summary="Finish registering a first passkey; signs the person in",
        responses=REFUSED,
        name="auth.enrol_verify",
    )
    def enrol_verify(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        code: FromPath[str],
        data: JSONBody[CredentialJSON],
    ) -> Response[SignedIn]:
        settings: Settings = state.settings
        row = service.redeemable_code(
            db, code=code, client=client(request), per_minute=per_address(request)
        )
        passkey = service.finish_registration(
            db,
            settings=settings,
            credential=credential_dict(data),
            person_id=row.person_id,
            nickname=device_name(request, data),
        )
        started = start(request, db, settings, person_id=passkey.person_id, passkey_id=passkey.id)
        home = request.app.route_reverse("home.home") + "?welcome=1"
        return signed_in(settings, home, started)


class AccountApiController(Controller):
    """Adding another passkey to one's own account (JSON ceremony)."""

    path = "/account"
    dependencies = SIGNED_IN
    tags = ("auth",)

    @post(
        "/passkeys/options",
        sync_to_thread=False,
        summary="Start adding another passkey",
        responses=ACCOUNT_RESPONSES,
        name="auth.add_options",
    )
    def add_options(
        self, db: NamedDependency[Session], state: State, access: NamedDependency[Viewer]
    ) -> dict[str, Any]:
        person = db.get(Person, access.person_id)
        assert person is not None
        return options(service.registration_options(db, settings=state.settings, person=person))

    @post(
        "/passkeys/verify",
        sync_to_thread=False,
        summary="Finish adding another passkey",
        responses=ACCOUNT_RESPONSES,
        name="auth.add_verify",
    )
    def add_verify(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Viewer],
        data: JSONBody[CredentialJSON],
    ) -> RedirectJSON:
        service.finish_registration(
            db,
            settings=state.settings,
            credential=credential_dict(data),
            person_id=access.person_id,
            nickname=device_name(request, data),
        )
        return RedirectJSON(redirect=request.app.route_reverse("auth.account") + "?saved=1")


class SessionsApiController(Controller):
    """One's own sessions: sign out everywhere."""

    path = "/api/sessions"
    dependencies = SIGNED_IN
    tags = ("auth",)

    @delete(
        "/",
        sync_to_thread=False,
        status_code=200,
        summary="Sign out everywhere: end every session of mine, this one included",
        responses=ACCOUNT_RESPONSES,
        name="auth.end_sessions",
    )
    def end_sessions(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        access: NamedDependency[Viewer],
    ) -> Response[SessionsEnded]:
        ended = sessions.end_everywhere(db, person_id=access.person_id)
        return signed_out(request, Response(SessionsEnded(ended=ended)))
