"""A passkey's first name, in words people use ("Dator – Chrome", "iPhone"), from the
browser's User-Agent and the authenticator's attachment (WebAuthn L3 §5.4.5). The person
can rename it; this only has to be recognisable on the passkeys page."""

from __future__ import annotations

from backend.i18n import _

# The first needle found names the browser; order matters (Edge and Opera say "Chrome" too).
BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)


def browser_of(user_agent: str) -> str | None:
    return next((name for needle, name in BROWSERS if needle in user_agent), None)


def device_name(*, user_agent: str, attachment: str | None, transports: list[str]) -> str:
    """A security key or a phone reached by QR code is named as such; a passkey kept by
    this device is named after the device and, on computers and Android, the browser."""
    if attachment == "cross-platform":
        return _("Phone or tablet") if "hybrid" in transports else _("Security key")
    browser = browser_of(user_agent)
    for needle, device in (("iPhone", "iPhone"), ("iPad", "iPad"), ("CrOS", "Chromebook")):
        if needle in user_agent:
            return device
    if "Android" in user_agent:
        kind = _("Android tablet") if "Mobile" not in user_agent else _("Android phone")
    elif "Mac OS" in user_agent:
        kind = "Mac"
    elif "Windows" in user_agent or "Linux" in user_agent or "X11" in user_agent:
        kind = _("Computer")
    else:
        return _("Passkey")
    return f"{kind} – {browser}" if browser else kind
