"""The CalDAV adapter: everything that talks to a calendar server goes through here.

Built on the `caldav` library's synchronous client (its HTTP is `niquests`); every
function here blocks, so async callers run them with `asyncio.to_thread`. Errors leave
this module as `CalendarUnreachable` (try again later), `CalendarRefused` (the server
said no: credentials, rights, a missing calendar) or `PreconditionFailed` (a 412 on a
conditional write).
"""

from __future__ import annotations

import re
from collections.abc import Coroutine
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit

import niquests
from caldav.calendarobjectresource import CalendarObjectResource
from caldav.collection import Calendar, SynchronizableCalendarObjectCollection
from caldav.davclient import DAVClient
from caldav.elements import dav
from caldav.lib import error

# Objects fetched per calendar-multiget REPORT.
MULTIGET_BATCH = 200


@dataclass(frozen=True)
class Account:
    url: str
    username: str
    password: str = field(repr=False)
    timeout: float = 20.0
    # A CA bundle for servers signed by the commune's own authority; None: the system's.
    ca_bundle: str | None = None

    @property
    def verify(self) -> bool | str:
        return self.ca_bundle or True


class CalendarError(Exception):
    pass


class CalendarUnreachable(CalendarError):
    """Network trouble, a timeout or a 5xx: worth retrying later. `kind` says which:
    "dns", "tls", "timeout", "connection" or "server"."""

    def __init__(self, message: str, kind: str = "server") -> None:
        super().__init__(message)
        self.kind = kind


class CalendarRefused(CalendarError):
    """The server answered no (401, 403, 404, not a calendar): retrying will not help
    until someone fixes the connection."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TokenRefused(CalendarError):
    """The sync token was refused (or sync-collection is unsupported) and the caller gave
    no known ETags: call again with them for a full listing."""


class PreconditionFailed(CalendarError):
    """412: the object on the server is not the one we expected."""


@dataclass(frozen=True)
class RemoteObject:
    href: str
    etag: str
    data: str


@dataclass(frozen=True)
class Changes:
    """What changed in a calendar since `sync_token`; `complete` when this is the whole
    calendar (a first sync or a full listing), so anything not listed was deleted."""

    upserts: list[RemoteObject]
    deleted: list[str]
    sync_token: str | None
    complete: bool


@dataclass(frozen=True)
class CalendarInfo:
    url: str
    name: str


def normalise_url(text: str) -> str:
    """A bare host becomes an https URL; anything else is kept as given."""
    text = text.strip()
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    # Credentials typed into the address are dropped: they would end up in messages.
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{host}{parts.path or '/'}"


def href_of(url: object) -> str:
    """The path of a URL, unquoted: the key under which an object is stored."""
    return unquote(urlsplit(str(url)).path)


def discover(account: Account) -> str:
    """RFC 6764 §5: a URL without a path is first asked for `/.well-known/caldav`, whose
    redirect (or itself, if it answers) is the CalDAV context path."""
    parts = urlsplit(account.url)
    if parts.path not in ("", "/"):
        return account.url
    well_known = f"{parts.scheme}://{parts.netloc}/.well-known/caldav"
    try:
        response = niquests.request(
            "PROPFIND",
            well_known,
            headers={"Depth": "0"},
            allow_redirects=False,
            timeout=account.timeout,
            verify=account.verify,
        )
    except niquests.exceptions.RequestException as problem:
        raise _translate(problem) from problem
    location = response.headers.get("Location")
    if response.status_code in (301, 302, 303, 307, 308) and location:
        target = urljoin(well_known, location)
        if urlsplit(target).hostname != parts.hostname:
            # RFC 6764 §8: a redirection elsewhere needs the user's consent; keep the host.
            return account.url
        return target
    return account.url


def connect(account: Account) -> DAVClient:
    return DAVClient(
        url=account.url,
        username=account.username,
        password=account.password,
        # caldav annotates `timeout` as int, but hands it to niquests, which takes seconds
        # as a float.
        timeout=account.timeout,  # type: ignore[arg-type]
        ssl_verify_cert=account.verify,
        enable_rfc6764=False,
    )


def _translate(problem: Exception) -> CalendarError:
    if isinstance(problem, CalendarError):
        return problem
    if isinstance(problem, error.AuthorizationError):
        return CalendarRefused(str(problem), getattr(problem, "status", None) or 401)
    if isinstance(problem, error.NotFoundError):
        return CalendarRefused(str(problem), 404)
    if isinstance(problem, error.RateLimitError):
        return CalendarUnreachable(str(problem))
    if isinstance(problem, niquests.exceptions.SSLError):
        return CalendarUnreachable(str(problem), "tls")
    if isinstance(problem, niquests.exceptions.Timeout):
        return CalendarUnreachable(str(problem), "timeout")
    if isinstance(problem, niquests.exceptions.RequestException):
        text = str(problem)
        if "Name or service not known" in text or "getaddrinfo" in text:
            return CalendarUnreachable(text, "dns")
        return CalendarUnreachable(text, "connection")
    if isinstance(problem, error.DAVError):
        status = getattr(problem, "status", None) or _status_in(str(problem))
        if status and 400 <= status < 500:
            return CalendarRefused(str(problem), status)
        # 5xx, or a failure the library could not attribute: worth another try.
        return CalendarUnreachable(str(problem), "server")
    return CalendarUnreachable(f"{type(problem).__name__}: {problem}")


def _status_in(text: str) -> int | None:
    match = re.search(r"\b([45]\d\d)\b", text)
    return int(match.group(1)) if match else None


def list_calendars(account: Account) -> list[CalendarInfo]:
    """The calendars of the account's principal (current-user-principal, then
    calendar-home-set, as RFC 4791 §6.2.1 describes)."""
    try:
        with connect(account) as client:
            principal = client.principal()
            return [
                CalendarInfo(str(calendar.url), calendar.get_display_name() or "")
                for calendar in principal.calendars()
            ]
    except Exception as problem:
        raise _translate(problem) from problem


CALENDAR_TYPE = "{urn:ietf:params:xml:ns:caldav}calendar"


def is_calendar(account: Account, url: str) -> bool:
    """Whether `url` is a calendar collection (its DAV:resourcetype says so)."""
    try:
        with connect(account) as client:
            properties = client.calendar(url=url).get_properties([dav.ResourceType()])
            types = properties.get(dav.ResourceType.tag) or []
            return CALENDAR_TYPE in (types if isinstance(types, list) else [types])
    except Exception as problem:
        raise _translate(problem) from problem


def _multiget(calendar: Calendar, hrefs: list[str]) -> list[RemoteObject]:
    base = calendar.url
    assert base is not None, "a calendar is always made from its URL here"
    found = []
    for offset in range(0, len(hrefs), MULTIGET_BATCH):
        urls = [base.join(href) for href in hrefs[offset : offset + MULTIGET_BATCH]]
        for url, data, tags in calendar._multiget(urls):
            found.append(RemoteObject(href_of(url), tags.get(dav.GetEtag.tag, ""), data))
    return found


def _etag(obj: CalendarObjectResource) -> str:
    etag: str = (getattr(obj, "props", None) or {}).get(dav.GetEtag.tag, "")
    return etag


def fetch_changes(
    account: Account, calendar_url: str, sync_token: str | None, known: dict[str, str] | None
) -> Changes:
    """The objects that changed since `sync_token` (RFC 6578 sync-collection). Without a
    token, or when the server refuses it or lacks the report, the whole calendar is
    listed (hrefs and ETags) and only objects whose ETag differs from `known` are
    downloaded. `known` (href → ETag stored) may be None when a token is given: a refused
    token then raises `TokenRefused`, so the caller reads its ETags only when needed."""
    try:
        with connect(account) as client:
            calendar = client.calendar(url=calendar_url)
            if sync_token:
                try:
                    result = _objects(calendar, sync_token, disable_fallback=True)
                except error.DAVError as problem:
                    # 403 valid-sync-token (RFC 6578 §3.2) or an unsupported report: list
                    # the whole calendar instead; a real permission problem stays one.
                    if calendar._is_genuine_authorization_error(problem):
                        raise
                    if known is None:
                        raise TokenRefused(str(problem)) from problem
                else:
                    deleted = {href_of(url) for url in result.deleted_urls}
                    changed = [
                        href_of(obj.url)
                        for obj in result.objects
                        if href_of(obj.url) not in deleted
                    ]
                    return Changes(
                        upserts=_multiget(calendar, changed) if changed else [],
                        deleted=sorted(deleted),
                        sync_token=_real_token(result.sync_token),
                        complete=False,
                    )
            return _full_listing(calendar, known or {})
    except Exception as problem:
        raise _translate(problem) from problem


def _objects(
    calendar: Calendar, sync_token: str | None, *, disable_fallback: bool = False
) -> SynchronizableCalendarObjectCollection:
    """The calendar's hrefs and ETags (objects not loaded) changed since `sync_token`, or
    all of them without one."""
    result = calendar.objects_by_sync_token(
        sync_token=sync_token, load_objects=False, disable_fallback=disable_fallback
    )
    # caldav's methods are typed for its asynchronous client too; ours is synchronous.
    assert not isinstance(result, Coroutine), "the synchronous DAVClient returns no coroutine"
    return result


def _real_token(token: object) -> str | None:
    text = str(token) if token else ""
    return None if not text or text.startswith("fake-") else text


def _full_listing(calendar: Calendar, known: dict[str, str]) -> Changes:
    # With no token, the library asks for the whole collection by sync-collection, or
    # lists it (calendar-query) when the server cannot.
    result = _objects(calendar, None)
    listed: dict[str, str] = {}
    loaded: dict[str, RemoteObject] = {}
    removed = {href_of(url) for url in result.deleted_urls}
    for obj in result.objects:
        href = href_of(obj.url)
        if href in removed:  # some servers list past deletions even without a token
            continue
        listed[href] = _etag(obj)
        data = getattr(obj, "_data", None) or getattr(obj, "_raw_data", None)
        if data:
            loaded[href] = RemoteObject(href, listed[href], str(data))
    to_fetch = [
        href
        for href, etag in listed.items()
        if href not in loaded and (not etag or known.get(href) != etag)
    ]
    upserts = [obj for href, obj in loaded.items() if known.get(href) != obj.etag or not obj.etag]
    upserts += _multiget(calendar, to_fetch) if to_fetch else []
    return Changes(
        upserts=upserts,
        deleted=sorted(set(known) - set(listed)),
        sync_token=_real_token(result.sync_token),
        complete=True,
    )


@dataclass(frozen=True)
class WriteResult:
    href: str
    etag: str


def _status_error(status: int, what: str) -> CalendarError:
    if status == 412:
        return PreconditionFailed(what)
    if status >= 500 or status in (408, 429):
        return CalendarUnreachable(f"{what}: HTTP {status}")
    return CalendarRefused(f"{what}: HTTP {status}", status)


def put_object(
    account: Account, url: str, body: str, *, etag: str | None = None, create: bool = False
) -> WriteResult:
    """PUT with `If-None-Match: *` (create) or `If-Match: etag` (update)."""
    headers = {"Content-Type": "text/calendar; charset=utf-8"}
    if create:
        headers["If-None-Match"] = "*"
    elif etag:
        headers["If-Match"] = etag
    try:
        with connect(account) as client:
            response = client.put(url, body, headers)
            if response.status not in (200, 201, 204):
                raise _status_error(response.status, "PUT")
            new_etag = response.headers.get("ETag") or ""
            if not new_etag and url:
                # RFC 4791 §5.3.4: a server that changed what we sent gives no ETag.
                new_etag = _etag_after_put(account, url)
            return WriteResult(href_of(url), new_etag)
    except Exception as problem:
        raise _translate(problem) from problem


def _etag_after_put(account: Account, url: str) -> str:
    written = get_object(account, url)
    if written is None:
        # Removed by someone else between our PUT and this GET: worth writing again.
        raise CalendarUnreachable("PUT: the object was gone right after it was written")
    return written.etag


def get_object(account: Account, url: str) -> RemoteObject | None:
    """The object at `url`, or None when it is gone."""
    try:
        with connect(account) as client:
            response = client.request(url, "GET")
            if response.status == 404 or response.status == 410:
                return None
            if response.status != 200:
                raise _status_error(response.status, "GET")
            return RemoteObject(href_of(url), response.headers.get("ETag") or "", response.raw)
    except error.NotFoundError:
        return None
    except Exception as problem:
        raise _translate(problem) from problem


def delete_object(account: Account, url: str, *, etag: str | None) -> bool:
    """DELETE with `If-Match`; False when the object was already gone."""
    headers = {"If-Match": etag} if etag else {}
    try:
        with connect(account) as client:
            response = client.delete(url, headers)
            if response.status in (404, 410):
                return False
            if response.status not in (200, 204):
                raise _status_error(response.status, "DELETE")
            return True
    except error.NotFoundError:
        return False
    except Exception as problem:
        raise _translate(problem) from problem


def join(base: str, name: str) -> str:
    return urljoin(base if base.endswith("/") else base + "/", name)
