"""A passkey's first name is in words people use (Swedish by default), not "Linux"."""

from __future__ import annotations

import pytest

from backend.auth.devices import device_name

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36 Edg/156.0.0.0"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Mobile Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
)
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.0 Safari/605.1.15"
)


@pytest.mark.parametrize(
    ("user_agent", "attachment", "transports", "name"),
    [
        (CHROME_LINUX, "platform", ["internal"], "Dator – Chrome"),
        (EDGE_WINDOWS, "platform", ["internal", "hybrid"], "Dator – Edge"),
        (CHROME_ANDROID, "platform", ["internal", "hybrid"], "Android-telefon – Chrome"),
        (SAFARI_IPHONE, "platform", ["internal", "hybrid"], "iPhone"),
        (SAFARI_MAC, None, [], "Mac – Safari"),
        (CHROME_LINUX, "cross-platform", ["usb", "nfc"], "Säkerhetsnyckel"),
        (CHROME_LINUX, "cross-platform", ["hybrid"], "Telefon eller surfplatta"),
        ("", None, [], "Passkey"),
    ],
)
def test_device_names(
    user_agent: str, attachment: str | None, transports: list[str], name: str
) -> None:
    assert device_name(user_agent=user_agent, attachment=attachment, transports=transports) == name
