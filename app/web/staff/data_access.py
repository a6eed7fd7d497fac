"""What the export, statistics and GDPR screens share: the sites a staff member may read,
the site chosen in a form, and the period typed into it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Site
from app.web.staff.auth import visible_site_ids

AnyRequest = Request[Any, Any, Any]
ALL_SITES = ""


@dataclass(frozen=True)
class SiteChoice:
    id: int
    name: str


def staff_of(request: AnyRequest) -> Any:
    return request.state.staff


async def readable_sites(session: AsyncSession, staff: Any) -> list[SiteChoice]:
    """The sites this staff member may read (agents: their own; others: all)."""
    visible = visible_site_ids(staff)
    statement = select(Site.id, Site.name).order_by(Site.position, Site.id)
    if visible is not None:
        statement = statement.where(Site.id.in_(visible))
    return [SiteChoice(row.id, row.name) for row in (await session.execute(statement)).all()]


def chosen_sites(
    raw: str | None, sites: list[SiteChoice]
) -> tuple[set[int] | None, SiteChoice | None, str | None]:
    """(site ids to read, the site chosen or None for all, French error or None).
    "All sites" means every readable site; a site the person may not read is refused."""
    value = (raw or ALL_SITES).strip()
    if value == ALL_SITES:
        return {site.id for site in sites}, None, None
    for site in sites:
        if str(site.id) == value:
            return {site.id}, site, None
    return {site.id for site in sites}, None, "Choisissez un site dans la liste."
