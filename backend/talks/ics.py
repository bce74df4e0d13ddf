"""The booking as an iCalendar file (RFC 5545) for the family's calendar."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.talks.schemas import BookingPublic
from backend.talks.service import now


def _ics_text(value: str) -> str:
    """RFC 5545 §3.3.11: backslash, semicolon, comma and newline escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> list[str]:
    """RFC 5545 §3.1: lines longer than 75 octets are folded (CRLF and a space)."""
    out: list[str] = []
    raw = line.encode()
    while len(raw) > 75:
        cut = 75 if not out else 74
        while cut > 0 and (raw[cut] & 0xC0) == 0x80:  # never inside a UTF-8 sequence
            cut -= 1
        out.append(raw[:cut].decode())
        raw = raw[cut:]
    out.append(raw.decode())
    return [out[0], *(" " + part for part in out[1:])]


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def render(booking: BookingPublic, *, summary: str, host: str) -> str:
    """The booking as an iCalendar file (RFC 5545): one VEVENT, times in UTC."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//IUP//talk//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:talk-{booking.talk_time_id}-{booking.pupil_id}@{host}",
        f"DTSTAMP:{_utc(now())}",
        f"DTSTART:{_utc(booking.starts_at)}",
        f"DTEND:{_utc(booking.ends_at)}",
        f"SUMMARY:{_ics_text(summary)}",
        f"LOCATION:{_ics_text(booking.place)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(f"{part}\r\n" for line in lines for part in _fold(line))
