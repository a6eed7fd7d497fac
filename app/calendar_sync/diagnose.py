"""« Tester la connexion » : each step of reaching a calendar, said in plain French.

The steps run in order and stop at the first failure, since the later ones cannot work:
the address, the server's name (DNS), the connection and its certificate (TLS), the
RFC 6764 discovery, the credentials, then each chosen calendar.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from app.calendar_sync import client
from app.calendar_sync.client import (
    Account,
    CalendarError,
    CalendarInfo,
    CalendarRefused,
    CalendarUnreachable,
)


@dataclass(frozen=True)
class Check:
    ok: bool
    text: str


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    calendars: list[CalendarInfo] = field(default_factory=list)
    # The CalDAV address found (after discovery), to be stored.
    server_url: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def passed(self, text: str) -> None:
        self.checks.append(Check(True, text))

    def failed(self, text: str) -> Report:
        self.checks.append(Check(False, text))
        return self

    def lines(self) -> list[str]:
        return [("✔ " if check.ok else "✘ ") + check.text for check in self.checks]


def explain(problem: CalendarError, host: str = "") -> str:
    """A French sentence for staff saying what went wrong (never the password)."""
    where = f" {host}" if host else ""
    if isinstance(problem, CalendarUnreachable):
        return {
            "dns": f"Le nom du serveur{where} est introuvable (DNS) : vérifiez l'adresse.",
            "tls": "La connexion sécurisée (TLS) a échoué : le certificat du serveur n'est "
            "pas reconnu, ne correspond pas à son nom ou a expiré.",
            "timeout": f"Le serveur{where} n'a pas répondu à temps : réessayez plus tard.",
            "connection": f"Le serveur{where} ne répond pas : il est arrêté ou l'adresse "
            "(port compris) est fausse.",
        }.get(
            problem.kind,
            f"Le serveur{where} est en difficulté (erreur de son côté) : réessayez plus tard.",
        )
    if isinstance(problem, CalendarRefused):
        if problem.status == 401:
            return "Identifiant ou mot de passe refusé par le serveur (401)."
        if problem.status == 403:
            return "Le serveur refuse l'accès à ce compte (403) : vérifiez ses droits."
        if problem.status == 404:
            return "Adresse introuvable sur le serveur (404) : vérifiez-la."
        return f"Le serveur a refusé la demande : {problem}"
    return f"Erreur inattendue : {problem}"


def _resolve(host: str, port: int) -> bool:
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return True


def check_connection(
    account: Account, publish_url: str = "", read_urls: tuple[str, ...] = ()
) -> Report:
    report = Report()
    url = client.normalise_url(account.url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return report.failed(f"Adresse invalide : « {account.url} ».")
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if not _resolve(host, port):
        return report.failed(
            f"Le nom du serveur {host} est introuvable (DNS) : vérifiez l'adresse."
        )
    report.passed(f"Nom du serveur trouvé : {host}.")
    if parts.scheme == "http":
        report.passed("Attention : connexion non chiffrée (http) ; préférez https.")

    account = replace(account, url=url)
    try:
        discovered = client.discover(account)
    except CalendarError as problem:
        return report.failed(explain(problem, host))
    if parts.scheme == "https":
        report.passed("Connexion sécurisée établie (certificat TLS valide).")
    else:
        report.passed("Serveur joint.")
    if discovered != url:
        report.passed(f"Service CalDAV découvert (/.well-known/caldav) : {discovered}")
    account = replace(account, url=discovered)
    report.server_url = discovered

    try:
        report.calendars = client.list_calendars(account)
    except CalendarError as problem:
        return report.failed(explain(problem, host))
    names = ", ".join(info.name or info.url for info in report.calendars) or "aucun"
    report.passed(f"Identifiants acceptés. Agendas du compte : {names}.")

    for label, target in [("de publication", publish_url)] + [
        ("lu", read_url) for read_url in read_urls
    ]:
        if not target:
            continue
        try:
            if not client.is_calendar(account, target):
                return report.failed(f"« {target} » n'est pas un agenda (agenda {label}).")
        except CalendarError as problem:
            return report.failed(f"Agenda {label} « {target} » : {explain(problem, host)}")
        report.passed(f"Agenda {label} accessible : {target}")
    return report
