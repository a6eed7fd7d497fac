"""The development mailbox: with no SMTP server (or no SMS provider) configured, messages
are written as files in `<data folder>/mailbox/`, one per logical message, where a
newcomer reads them (`/_dev/mail` when debugging is on, or any mail client for `.eml`).

A file's name comes from the message's stable identity (its Message-ID, or the SMS's dedupe
key), and it is written atomically (temporary file, then rename): delivering the same
message twice leaves one file.
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


def write_email(directory: Path, message: bytes, message_id: str) -> Path:
    path = directory / f"{_name(message_id)}.eml"
    _write_atomically(path, message)
    return path


def write_sms(directory: Path, to: str, text: str, key: str, now: datetime) -> Path:
    path = directory / f"{_name(key)}.sms.json"
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


def entries(directory: Path) -> list[MailboxEntry]:
    """Every message in the mailbox, newest first."""
    found: list[MailboxEntry] = []
    if not directory.is_dir():
        return found
    for path in directory.iterdir():
        ident = path.name.split(".", 1)[0]
        if not NAME.match(ident):
            continue
        if path.name.endswith(".eml"):
            message = _email(path)
            found.append(
                MailboxEntry(
                    ident,
                    "email",
                    parsedate_to_datetime(str(message["Date"])),
                    str(message["To"]),
                    str(message["Subject"]),
                )
            )
        elif path.name.endswith(".sms.json"):
            record = json.loads(path.read_text())
            found.append(
                MailboxEntry(
                    ident, "sms", datetime.fromisoformat(record["date"]), record["to"], "SMS"
                )
            )
    return sorted(found, key=lambda entry: entry.date, reverse=True)


def read_email(directory: Path, ident: str) -> EmailMessage | None:
    path = directory / f"{ident}.eml"
    return _email(path) if NAME.match(ident) and path.is_file() else None


def read_sms(directory: Path, ident: str) -> dict[str, str] | None:
    path = directory / f"{ident}.sms.json"
    return json.loads(path.read_text()) if NAME.match(ident) and path.is_file() else None
