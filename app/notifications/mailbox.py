"""The development mailbox: with no SMTP server (or no SMS provider) configured, messages
are written as files in `<data folder>/mailbox/`, one per logical message, where a
newcomer reads them (`/_dev/mail` when debugging is on, or any mail client for `.eml`).

A file's name comes from the message's stable identity (its Message-ID, or the SMS's dedupe
key), followed by the number of the booking it is about (`<id>.b<booking>.eml`), and it is
written atomically (temporary file, then rename): delivering the same message twice leaves
one file.

The files hold names, addresses and phone numbers: the retention job erases those of
anonymised bookings, and those about no booking once older than the retention period
(`erase`, called by `app.gdpr.retention`; decision 90).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import parsedate_to_datetime
from pathlib import Path

NAME = re.compile(r"^[0-9a-f]{32}$")
# `<id>.eml`, `<id>.b<booking>.eml`, `<id>.sms.json`, `<id>.b<booking>.sms.json`
FILE = re.compile(
    r"^(?P<id>[0-9a-f]{32})(?:\.b(?P<booking>[0-9]{1,19}))?\.(?P<kind>eml|sms\.json)$"
)


def mailbox_dir(data_dir: Path) -> Path:
    return data_dir / "mailbox"


def _name(identity: str) -> str:
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _file_name(identity: str, booking_id: int | None, suffix: str) -> str:
    about = "" if booking_id is None else f".b{booking_id}"
    return f"{_name(identity)}{about}.{suffix}"


def write_email(
    directory: Path, message: bytes, message_id: str, booking_id: int | None = None
) -> Path:
    path = directory / _file_name(message_id, booking_id, "eml")
    _write_atomically(path, message)
    return path


def write_sms(
    directory: Path, to: str, text: str, key: str, now: datetime, booking_id: int | None = None
) -> Path:
    path = directory / _file_name(key, booking_id, "sms.json")
    record = {"to": to, "text": text, "date": now.isoformat()}
    _write_atomically(path, json.dumps(record, ensure_ascii=False).encode())
    return path


@dataclass(frozen=True)
class MailboxEntry:
    id: str
    kind: str  # "email" or "sms"
    date: datetime
    to: str
    subject: str


def _email(path: Path) -> EmailMessage:
    return message_from_bytes(path.read_bytes(), policy=default)


@dataclass(frozen=True)
class _File:
    path: Path
    id: str
    kind: str  # "eml" or "sms.json"
    booking_id: int | None


def _files(directory: Path) -> list[_File]:
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        if match := FILE.match(path.name):
            booking = match["booking"]
            found.append(_File(path, match["id"], match["kind"], int(booking) if booking else None))
    return found


def _date(file: _File) -> datetime:
    if file.kind == "eml":
        return parsedate_to_datetime(str(_email(file.path)["Date"]))
    return datetime.fromisoformat(json.loads(file.path.read_text())["date"])


def entries(directory: Path) -> list[MailboxEntry]:
    """Every message in the mailbox, newest first."""
    found: list[MailboxEntry] = []
    for file in _files(directory):
        if file.kind == "eml":
            message = _email(file.path)
            found.append(
                MailboxEntry(
                    file.id,
                    "email",
                    parsedate_to_datetime(str(message["Date"])),
                    str(message["To"]),
                    str(message["Subject"]),
                )
            )
        else:
            record = json.loads(file.path.read_text())
            found.append(
                MailboxEntry(
                    file.id, "sms", datetime.fromisoformat(record["date"]), record["to"], "SMS"
                )
            )
    return sorted(found, key=lambda entry: entry.date, reverse=True)


def _find(directory: Path, ident: str, kind: str) -> Path | None:
    if not NAME.match(ident):
        return None
    return next(
        (
            f.path
            for f in _files(directory)
            if f.id == ident and f.kind == kind and f.path.is_file()
        ),
        None,
    )


def read_email(directory: Path, ident: str) -> EmailMessage | None:
    path = _find(directory, ident, "eml")
    return _email(path) if path else None


def read_sms(directory: Path, ident: str) -> dict[str, str] | None:
    path = _find(directory, ident, "sms.json")
    return json.loads(path.read_text()) if path else None


def booking_ids(directory: Path) -> set[int]:
    """The bookings the mailbox's files are about."""
    return {f.booking_id for f in _files(directory) if f.booking_id is not None}


def erase(
    directory: Path, *, anonymised: set[int], existing: set[int], unattached_before: datetime
) -> int:
    """Deletes the files about an anonymised booking, and those about no booking (or about
    one that no longer exists) dated before `unattached_before`; a file that cannot be read
    goes with the latter. Returns how many were deleted."""
    deleted = 0
    for file in _files(directory):
        if file.booking_id is not None and file.booking_id in existing:
            doomed = file.booking_id in anonymised
        else:
            try:
                doomed = _date(file) < unattached_before
            except (OSError, ValueError, TypeError, KeyError):
                doomed = True
        if doomed:
            file.path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def erase_bookings(directory: Path, booking_ids: set[int]) -> int:
    """Deletes the files about these bookings; returns how many."""
    doomed = [f.path for f in _files(directory) if f.booking_id in booking_ids]
    for path in doomed:
        path.unlink(missing_ok=True)
    return len(doomed)
