"""The reference data, cached per process: the commune, its sites, desks, appointment
types, opening rules and closures, as immutable snapshots.

They are read on every citizen request and change only when the back office saves
something. `reference(session)` reads the version token (`app.db.reference_version`: one
tiny statement, once per transaction) and returns the snapshot cached under that token,
reading the tables again only when the token changed — in this process or in any other, as
the token is written in the same transaction as the change. A transaction that changed
reference data itself reads the tables directly and caches nothing.

The snapshots are frozen dataclasses with the columns' names, so that code written for the
ORM objects (the templates, the engine's adapter) reads them alike. Nothing personal is in
them: citizens' data lives in other tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, time
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import (
    AppointmentType,
    Base,
    Closure,
    Commune,
    Desk,
    DeskType,
    OpeningRule,
    Site,
)
from app.db.reference_version import changed_here, current_version, slot_of

# Columns left out of the snapshots: the logo's bytes, served by their own route.
LEFT_OUT = {"commune": frozenset({"logo_data"})}


@dataclass(frozen=True)
class CommuneInfo:
    id: int
    name: str
    contact_email: str
    contact_phone: str
    holiday_subdivision: str
    sms_enabled: bool
    retention_days: int
    primary_color: str
    logo_content_type: str
    logo_digest: str
    legal_notice_md: str
    legal_notice_html: str
    accessibility_md: str
    accessibility_html: str
    calendar_details: str


@dataclass(frozen=True)
class SiteInfo:
    id: int
    commune_id: int
    name: str
    address: str
    timezone: str
    position: int


@dataclass(frozen=True)
class DeskInfo:
    id: int
    site_id: int
    name: str


@dataclass(frozen=True)
class TypeInfo:
    """An appointment type with its site and desks (in id order), as `get_type` gave the
    ORM object before."""

    id: int
    site_id: int
    slug: str
    title: str
    service: str
    description_html: str
    gdpr_html: str
    description_md: str
    gdpr_md: str
    what_to_bring: str
    slot_minutes: int
    duration_per_person: bool
    max_people: int
    capacity: int
    min_delay_minutes: int
    horizon_days: int
    staff_reserved_places: int
    limit_bookings: int
    limit_period_days: int
    hold_minutes: int
    cooldown_minutes: int
    extra_fields: tuple[Mapping[str, Any], ...]
    active: bool
    position: int
    site: SiteInfo
    desks: tuple[DeskInfo, ...]


@dataclass(frozen=True)
class OpeningInfo:
    id: int
    site_id: int
    desk_id: int | None
    type_id: int | None
    weekday: int
    start: time
    end: time
    valid_from: date | None
    valid_until: date | None
    every_n_weeks: int


@dataclass(frozen=True)
class ClosureInfo:
    id: int
    site_id: int
    first_day: date
    last_day: date
    label: str


# A type as the ORM or this cache gives it: the booking code reads both alike.
TypeLike = AppointmentType | TypeInfo


@dataclass(frozen=True)
class Reference:
    """Everything cached, under one version token."""

    communes: Mapping[int, CommuneInfo]
    sites: Mapping[int, SiteInfo]
    types: Mapping[int, TypeInfo]  # active or not
    openings: Mapping[int, tuple[OpeningInfo, ...]]  # per site, in id order
    closures: Mapping[int, tuple[ClosureInfo, ...]]  # per site, in id order

    @property
    def commune(self) -> CommuneInfo | None:
        """The commune (there is one; the first by id, as `catalogue.current_commune`)."""
        return self.communes[min(self.communes)] if self.communes else None

    def active_type(self, type_id: int | None) -> TypeInfo | None:
        found = self.types.get(type_id) if type_id else None
        return found if found is not None and found.active else None


async def reference(session: AsyncSession) -> Reference:
    """The reference data as this session's transaction sees it, from the cache of its
    database when the version token says the cache is current."""
    slot = slot_of(session)
    version = await current_version(session)  # first: it flushes pending changes
    if slot is None or version is None or changed_here(session):
        return await load(session)
    cached = slot.value
    if slot.version == version and isinstance(cached, Reference):
        return cached
    # Read after the token: the rows are at least as recent as the token says, so a
    # later request that reads the same token may use them.
    loaded = await load(session)
    slot.version, slot.value = version, loaded
    return loaded


async def planning_reference(
    session: AsyncSession,
    appointment_type: TypeLike,
    desk_ids: Sequence[int],
    first_day: date,
    last_day: date,
) -> tuple[tuple[OpeningInfo, ...], tuple[ClosureInfo, ...], str]:
    """What `planning.build_query` reads from the reference tables: the opening rules of
    the type's site that apply to the type and its desks, the site's closures over these
    local days, and the commune's holiday subdivision."""
    data = await reference(session)
    site = appointment_type.site
    desks = set(desk_ids)
    openings = tuple(
        rule
        for rule in data.openings.get(site.id, ())
        if rule.type_id in (None, appointment_type.id)
        and (rule.desk_id is None or rule.desk_id in desks)
    )
    closures = tuple(
        closure
        for closure in data.closures.get(site.id, ())
        if closure.last_day >= first_day and closure.first_day <= last_day
    )
    commune = data.communes.get(site.commune_id)
    return openings, closures, commune.holiday_subdivision if commune else ""


# --- reading the tables --------------------------------------------------------------------

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Info = TypeVar("Info", bound="DataclassInstance")


async def _rows(session: AsyncSession, model: type[Base]) -> Sequence[Row[Any]]:
    """Every row of the model's table, as plain tuples (no ORM object is made)."""
    left_out = LEFT_OUT.get(model.__tablename__, frozenset())
    table = model.__table__
    columns = [column for column in table.columns if column.name not in left_out]
    return (await session.execute(select(*columns).order_by(*table.primary_key))).all()


def _from_row(cls: type[Info], row: Row[Any], **related: Any) -> Info:
    """The snapshot of one row: its dataclass's fields taken from the columns of the same
    names (a test checks that every column has its field), `related` given."""
    values = {
        field.name: getattr(row, field.name) for field in fields(cls) if field.name not in related
    }
    return cls(**values, **related)


OfSite = TypeVar("OfSite", OpeningInfo, ClosureInfo)


def _by_site(items: Iterable[OfSite]) -> Mapping[int, tuple[OfSite, ...]]:
    grouped: dict[int, list[OfSite]] = {}
    for item in items:
        grouped.setdefault(item.site_id, []).append(item)
    return MappingProxyType({site_id: tuple(found) for site_id, found in grouped.items()})


async def load(session: AsyncSession) -> Reference:
    """Every reference table, read in this session (seven small statements)."""
    communes = [_from_row(CommuneInfo, row) for row in await _rows(session, Commune)]
    sites = {row.id: _from_row(SiteInfo, row) for row in await _rows(session, Site)}
    desks = {row.id: _from_row(DeskInfo, row) for row in await _rows(session, Desk)}
    served: dict[int, list[DeskInfo]] = {}
    for row in await _rows(session, DeskType):  # in (desk, type) order
        served.setdefault(row.type_id, []).append(desks[row.desk_id])
    types = {
        row.id: _from_row(
            TypeInfo,
            row,
            site=sites[row.site_id],
            desks=tuple(sorted(served.get(row.id, ()), key=lambda desk: desk.id)),
            extra_fields=tuple(MappingProxyType(dict(spec)) for spec in row.extra_fields or ()),
        )
        for row in await _rows(session, AppointmentType)
    }
    openings = [_from_row(OpeningInfo, row) for row in await _rows(session, OpeningRule)]
    closures = [_from_row(ClosureInfo, row) for row in await _rows(session, Closure)]
    return Reference(
        communes=MappingProxyType({commune.id: commune for commune in communes}),
        sites=MappingProxyType(sites),
        types=MappingProxyType(types),
        openings=_by_site(openings),
        closures=_by_site(closures),
    )
