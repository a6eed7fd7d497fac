"""Real CalDAV servers for the tests: Radicale (plain HTTP, htpasswd) and Xandikos
(multi-user, HTTPS with a certificate made here, htpasswd), each started on a free port
of 127.0.0.1 with its storage in a temporary folder, with two users."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.calendar_sync.client import Account, connect

USERS = {"alice": "mot-de-passe-alice", "bob": "mot-de-passe-bob"}
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, log: Path, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server not listening after {seconds}s: {log.read_text()[-2000:]}")


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    # The TLS client checks validity against the machine's real time, which the suite does
    # not read: the certificate is valid at any instant (RFC 5280's "no well-defined
    # expiration date", 9999-12-31).
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "selfsigned.crt", folder / "selfsigned.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class CalendarServer:
    kind: str
    root: Path
    port: int = 0
    ca_bundle: str | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        scheme = "https" if self.kind == "xandikos" else "http"
        return f"{scheme}://127.0.0.1:{self.port}/"

    def account(self, user: str = "alice", password: str | None = None, **kwargs) -> Account:
        return Account(
            url=self.base_url,
            username=user,
            password=USERS[user] if password is None else password,
            ca_bundle=self.ca_bundle,
            **{"timeout": 10.0, **kwargs},
        )

    def start(self) -> CalendarServer:
        if not self.port:
            self.port = free_port()
        log = self.root / f"{self.kind}.log"
        if self.kind == "radicale":
            htpasswd = self.root / "htpasswd"
            htpasswd.write_text("".join(f"{u}:{p}\n" for u, p in USERS.items()))
            command = [
                str(BIN / "radicale"),
                "--server-hosts", f"127.0.0.1:{self.port}",
                "--storage-filesystem-folder", str(self.root / "collections"),
                "--auth-type", "htpasswd",
                "--auth-htpasswd-filename", str(htpasswd),
                "--auth-htpasswd-encryption", "plain",
                "--auth-delay", "0",
                "--logging-level", "warning",
            ]  # fmt: skip
        else:
            htpasswd = self.root / "htpasswd"
            htpasswd.write_text(
                "".join(
                    f"{u}:{{SHA}}{base64.b64encode(hashlib.sha1(p.encode()).digest()).decode()}\n"
                    for u, p in USERS.items()
                )
            )
            if self.ca_bundle is None:
                cert, _key = _self_signed(self.root / "state" / "certs")
                self.ca_bundle = str(cert)
            command = [
                str(BIN / "xandikos"), "multi-user",
                "-d", str(self.root / "data"),
                "--state-dir", str(self.root / "state"),
                "--defaults",
                "-l", "127.0.0.1", "-p", str(self.port),
                "--autocert", "--htpasswd", str(htpasswd),
            ]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 - fixed command line
            command,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        _wait_for(self.port, self.process, log)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def new_calendar(self, user: str = "alice", name: str = "Agenda") -> str:
        """Creates a calendar for `user` and returns its URL."""
        with connect(self.account(user)) as client:
            principal = client.principal()
            calendar = principal.make_calendar(name=name, cal_id=uuid.uuid4().hex)
            return str(calendar.url)

    def put_raw(self, calendar_url: str, name: str, data: str | bytes, user: str = "alice") -> str:
        """Stores an .ics as a client would (plain PUT); returns the object's URL."""
        url = calendar_url.rstrip("/") + "/" + name
        with connect(self.account(user)) as client:
            response = client.put(
                url,
                data if isinstance(data, str) else data.decode(),
                {"Content-Type": "text/calendar; charset=utf-8"},
            )
            assert response.status in (201, 204), response.status
        return url

    def delete_raw(self, url: str, user: str = "alice") -> None:
        with connect(self.account(user)) as client:
            response = client.delete(url)
            assert response.status in (200, 204), response.status
