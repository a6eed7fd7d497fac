"""The CalDAV adapter: everything that talks to a calendar server goes through here.

Built on the `caldav` library's synchronous client (its HTTP is `niquests`); every
function here blocks, so async callers run them with `asyncio.to_thread`. Errors leave
this module as `CalendarUnreachable` (try again later), `CalendarRefused` (the server
said no: credentials, rights, a missing calendar) or `PreconditionFailed` (a 412 on a
conditional write).

One client per account is kept and reused (`_clients`): its HTTP session keeps the
connection open and it sends Basic credentials with the first request, so an operation
costs its own requests only (no unauthenticated request answered 401, no PUT body sent
twice). A server that refuses Basic gets a client that negotiates (Digest) once.
Listing a whole calendar may take minutes on a cold server: it has its own, longer
deadline (`Account.listing_timeout`).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar
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
    # The deadline of a whole calendar's listing (a first sync, a refused token): a cold
    # server may take minutes to answer it for thousands of events.
    listing_timeout: float = 600.0

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


def connect(account: Account, *, basic: bool = True) -> DAVClient:
    """A new client for `account`; with `basic`, Basic credentials go with every request
    from the first one (no 401 round trip), else they are negotiated on the first 401."""
    return DAVClient(
        url=account.url,
        username=account.username,
        password=account.password,
        auth_type="basic" if basic else None,
        # caldav annotates `timeout` as int, but hands it to niquests, which takes seconds
        # as a float.
        timeout=account.timeout,  # type: ignore[arg-type]
        ssl_verify_cert=account.verify,
        enable_rfc6764=False,
    )


T = TypeVar("T")
# Accounts whose clients are kept; the least recently used beyond this are closed.
KEPT_ACCOUNTS = 64


@dataclass
class _Kept:
    idle: list[DAVClient] = field(default_factory=list)
    # The server refused Basic with a 401: negotiate (Digest) instead.
    negotiate: bool = False


_clients: OrderedDict[Account, _Kept] = OrderedDict()
_clients_lock = threading.Lock()


@contextmanager
def _client(account: Account) -> Iterator[DAVClient]:
    """The account's kept client (a second one while the first is busy in another thread:
    a client is used by one thread at a time), given back after use."""
    with _clients_lock:
        kept = _clients.setdefault(account, _Kept())
        _clients.move_to_end(account)
        while len(_clients) > KEPT_ACCOUNTS:
            _account, evicted = _clients.popitem(last=False)
            for old in evicted.idle:
                old.close()
        davclient = kept.idle.pop() if kept.idle else None
        negotiate = kept.negotiate
    if davclient is None:
        davclient = connect(account, basic=not negotiate)
    try:
        yield davclient
    finally:
        with _clients_lock:
            if _clients.get(account) is kept and len(kept.idle) < 4:
                kept.idle.append(davclient)
            else:
                davclient.close()


def _run(account: Account, work: Callable[[DAVClient], T]) -> T:
    """Runs `work` with the account's client; a 401 to Basic credentials is retried once
    with a client that negotiates the server's scheme, which is then kept."""
    basic = False
    try:
        with _client(account) as davclient:
            basic = davclient.auth_type == "basic"
            return work(davclient)
    except error.AuthorizationError as problem:
        if not basic or getattr(problem, "status", None) != 401:
            raise
    with _clients_lock:
        kept = _clients.setdefault(account, _Kept())
        kept.negotiate = True
        for old in kept.idle:
            old.close()
        kept.idle.clear()
    with _client(account) as davclient:
        return work(davclient)


def forget_clients() -> None:
    """Closes every kept client (tests, and a process about to exit)."""
    with _clients_lock:
        for kept in _clients.values():
            for old in kept.idle:
                old.close()
        _clients.clear()


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

    def work(davclient: DAVClient) -> list[CalendarInfo]:
        return [
            CalendarInfo(str(calendar.url), calendar.get_display_name() or "")
            for calendar in davclient.principal().calendars()
        ]

    try:
        return _run(account, work)
    except Exception as problem:
        raise _translate(problem) from problem


CALENDAR_TYPE = "{urn:ietf:params:xml:ns:caldav}calendar"


def is_calendar(account: Account, url: str) -> bool:
    """Whether `url` is a calendar collection (its DAV:resourcetype says so)."""

    def work(davclient: DAVClient) -> bool:
        properties = davclient.calendar(url=url).get_properties([dav.ResourceType()])
        types = properties.get(dav.ResourceType.tag) or []
        return CALENDAR_TYPE in (types if isinstance(types, list) else [types])

    try:
        return _run(account, work)
    except Exception as problem:
        raise _translate(problem) from problem


def _text(obj: CalendarObjectResource) -> str:
    """The object's data exactly as the server sent it ("" when it sent none)."""
    raw = obj.raw_data
    if raw is None:
        return ""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _multiget(calendar: Calendar, hrefs: list[str]) -> list[RemoteObject]:
    base = calendar.url
    assert base is not None, "a calendar is always made from its URL here"
    found = []
    for offset in range(0, len(hrefs), MULTIGET_BATCH):
        urls = [base.join(href) for href in hrefs[offset : offset + MULTIGET_BATCH]]
        objects: list[CalendarObjectResource] | Coroutine[object, object, object] = (
            calendar.multiget(urls)
        )
        # caldav's methods are typed for its asynchronous client too; ours is synchronous.
        assert not isinstance(objects, Coroutine), "the synchronous DAVClient returns none"
        for obj in objects:
            found.append(RemoteObject(href_of(obj.url), obj.etag or "", _text(obj)))
    return found


@dataclass(frozen=True)
class Listing:
    """What changed in a calendar since a sync token (hrefs and ETags, data only when the
    server sent it with the list), or the whole calendar when `complete` (a first sync
    or a full listing: anything not listed was deleted)."""

    etags: dict[str, str]
    loaded: dict[str, RemoteObject]
    deleted: list[str]
    sync_token: str | None
    complete: bool

    def to_download(self, known: dict[str, str] | None) -> list[str]:
        """The hrefs whose data is still needed: changed since the token, or (listing)
        not sent with the list and whose ETag differs from the one stored."""
        if not self.complete:
            return [href for href in self.etags if href not in self.loaded]
        known = known or {}
        return [
            href
            for href, etag in self.etags.items()
            if href not in self.loaded and (not etag or known.get(href) != etag)
        ]


# An expired sync token (RFC 6578 §3.2), or a server without the sync-collection report.
_RESYNC = {dav.ValidSyncToken.tag, dav.SupportedReport.tag}


def _token_refused(problem: error.DAVError) -> bool:
    """Whether a failed sync-collection asks for a full listing rather than being a
    real refusal (wrong credentials, or a precondition other than the token's)."""
    if isinstance(problem, error.AuthorizationError):
        preconditions = set(problem.preconditions or ())
        if preconditions & _RESYNC:
            return True
        return not preconditions and problem.status != 401
    return True


@contextmanager
def _deadline(davclient: DAVClient, seconds: float) -> Iterator[None]:
    """A longer deadline for one long request of this (thread's own) client."""
    usual = davclient.timeout
    davclient.timeout = seconds  # type: ignore[assignment]  # seconds, as niquests takes
    try:
        yield
    finally:
        davclient.timeout = usual


def list_changes(
    account: Account, calendar_url: str, sync_token: str | None, known: dict[str, str] | None
) -> Listing:
    """The hrefs and ETags that changed since `sync_token` (RFC 6578 sync-collection).
    Without a token, or when the server refuses it or lacks the report, the whole
    calendar is listed (with the listing's longer deadline). `known` (href → ETag stored)
    may be None when a token is given: a refused token then raises `TokenRefused`, so
    the caller reads its ETags only when needed."""

    def work(davclient: DAVClient) -> Listing:
        calendar = davclient.calendar(url=calendar_url)
        if sync_token:
            try:
                result = _objects(calendar, sync_token, disable_fallback=True)
            except error.DAVError as problem:
                if not _token_refused(problem):
                    raise
                if known is None:
                    raise TokenRefused(str(problem)) from problem
            else:
                deleted = {href_of(url) for url in result.deleted_urls}
                etags = {
                    href_of(obj.url): obj.etag or ""
                    for obj in result.objects
                    if href_of(obj.url) not in deleted
                }
                return Listing(etags, {}, sorted(deleted), _real_token(result.sync_token), False)
        with _deadline(davclient, account.listing_timeout):
            return _full_listing(calendar, known or {})

    try:
        return _run(account, work)
    except Exception as problem:
        raise _translate(problem) from problem


def download(account: Account, calendar_url: str, hrefs: list[str]) -> list[RemoteObject]:
    """The objects at `hrefs` (calendar-multiget, `MULTIGET_BATCH` per request); an object
    deleted meanwhile is left out."""

    def work(davclient: DAVClient) -> list[RemoteObject]:
        return _multiget(davclient.calendar(url=calendar_url), hrefs)

    try:
        return _run(account, work) if hrefs else []
    except Exception as problem:
        raise _translate(problem) from problem


def fetch_changes(
    account: Account, calendar_url: str, sync_token: str | None, known: dict[str, str] | None
) -> Changes:
    """`list_changes`, then the data of every object it names."""
    listing = list_changes(account, calendar_url, sync_token, known)
    upserts = [
        obj
        for href, obj in listing.loaded.items()
        if not listing.complete or (known or {}).get(href) != obj.etag or not obj.etag
    ]
    upserts += download(account, calendar_url, listing.to_download(known))
    return Changes(upserts, listing.deleted, listing.sync_token, listing.complete)


def _objects(
    calendar: Calendar, sync_token: str | None, *, disable_fallback: bool = False
) -> SynchronizableCalendarObjectCollection:
    """The calendar's hrefs and ETags (objects not loaded) changed since `sync_token`, or
    all of them without one."""
    result = calendar.get_objects_by_sync_token(
        sync_token=sync_token, load_objects=False, disable_fallback=disable_fallback
    )
    # caldav's methods are typed for its asynchronous client too; ours is synchronous.
    assert not isinstance(result, Coroutine), "the synchronous DAVClient returns no coroutine"
    return result


def _real_token(token: object) -> str | None:
    text = str(token) if token else ""
    return None if not text or text.startswith("fake-") else text


def _full_listing(calendar: Calendar, known: dict[str, str]) -> Listing:
    # With no token, the library asks for the whole collection by sync-collection, or
    # lists it (calendar-query, data included) when the server cannot.
    result = _objects(calendar, None)
    listed: dict[str, str] = {}
    loaded: dict[str, RemoteObject] = {}
    removed = {href_of(url) for url in result.deleted_urls}
    for obj in result.objects:
        href = href_of(obj.url)
        if href in removed:  # some servers list past deletions even without a token
            continue
        listed[href] = obj.etag or ""
        data = _text(obj)
        if data:
            loaded[href] = RemoteObject(href, listed[href], data)
    return Listing(
        listed, loaded, sorted(set(known) - set(listed)), _real_token(result.sync_token), True
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
        response = _run(account, lambda davclient: davclient.put(url, body, headers))
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
        response = _run(account, lambda davclient: davclient.request(url, "GET"))
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
        response = _run(account, lambda davclient: davclient.delete(url, headers))
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
