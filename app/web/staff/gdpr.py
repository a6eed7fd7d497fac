"""/admin/rgpd (administrators): a citizen's data found, copied or erased on request, and
the retention period. The person's e-mail or phone only ever travels in POST bodies, never
in an address, and the audit trail names bookings by reference, never the person."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Response, Template

from app.gdpr.requests import (
    InvalidLookup,
    Lookup,
    erase,
    erasure_plan,
    export_csv,
    export_json,
    find_bookings,
    parse_lookup,
)
from app.gdpr.retention import (
    MAX_DAYS,
    MIN_DAYS,
    InvalidRetention,
    current_retention,
    parse_retention_days,
    set_retention,
)
from app.reports.rows import STATUS_LABELS, BookingRow
from app.staff.audit import record
from app.web.citizen.forms import parse_int, read_form
from app.web.staff.auth import admins_only
from app.web.staff.data_access import AnyRequest, staff_of
from app.web.staff.view import staff_page

PAGE = "staff/rgpd.html"
RESULTS = "staff/rgpd_resultats.html"
CONFIRM = "staff/rgpd_effacement.html"
ADMIN = {"role": "admin"}


def _refs(rows: list[BookingRow]) -> str:
    return ", ".join(row.reference for row in rows) or "aucun"


class GdprController(Controller):
    path = "/admin/rgpd"

    @get("/", guards=[admins_only], opt=ADMIN, name="staff-gdpr")
    async def page(
        self,
        request: AnyRequest,
        efface: FromQuery[str | None] = None,
        annules: FromQuery[str | None] = None,
        conservation: FromQuery[str | None] = None,
    ) -> Template:
        notice = None
        erased, cancelled = parse_int(efface), parse_int(annules)
        if erased is not None:
            notice = f"Données effacées : {erased} rendez-vous anonymisé(s)."
            if cancelled == 1:
                notice += " Le rendez-vous à venir a été annulé ; la personne en est prévenue."
            elif cancelled:
                notice += (
                    f" {cancelled} rendez-vous à venir ont été annulés ; la personne en est "
                    "prévenue."
                )
        elif conservation == "enregistree":
            notice = "Durée de conservation enregistrée."
        return await self._page(request, notice=notice)

    async def _page(
        self,
        request: AnyRequest,
        *,
        notice: str | None = None,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        async with request.app.state.db.read() as session:
            retention = await current_retention(session)
        values = values or {}
        days = retention[1] if retention else 365
        return staff_page(
            request,
            PAGE,
            {
                "notice": notice,
                "errors": errors or {},
                "values": {"personne": "", "conservation": str(days), **values},
                "min_days": MIN_DAYS,
                "max_days": MAX_DAYS,
            },
            status_code=status_code,
        )

    async def _lookup(self, request: AnyRequest) -> tuple[Lookup | None, dict[str, str]]:
        values = await read_form(request)
        try:
            return parse_lookup(values.get("personne", "")), values
        except InvalidLookup as error:
            return None, {**values, "_error": str(error)}

    async def _refused(self, request: AnyRequest, values: dict[str, str]) -> Template:
        return await self._page(
            request,
            values={"personne": values.get("personne", "")},
            errors={"personne": values["_error"]},
            status_code=422,
        )

    @post("/recherche", guards=[admins_only], opt=ADMIN)
    async def search(self, request: AnyRequest) -> Response[Any]:
        lookup, values = await self._lookup(request)
        if lookup is None:
            return await self._refused(request, values)
        now: datetime = request.app.state.clock()
        async with request.app.state.db.write() as session:
            rows = await find_bookings(session, lookup)
            await record(
                session,
                staff_of(request),
                "rgpd_recherche",
                "personne",
                f"Recherche des rendez-vous d'une personne (RGPD) : {len(rows)} trouvé(s)",
                {"references": [row.reference for row in rows]},
                now=now,
            )
        return staff_page(
            request, RESULTS, {"lookup": lookup, "rows": rows, "now": now, "errors": {}}
        )

    @post("/export", guards=[admins_only], opt=ADMIN)
    async def export(self, request: AnyRequest) -> Response[Any]:
        lookup, values = await self._lookup(request)
        if lookup is None:
            return await self._refused(request, values)
        kind = "json" if values.get("format") == "json" else "csv"
        now: datetime = request.app.state.clock()
        async with request.app.state.db.write() as session:
            rows = await find_bookings(session, lookup)
            await record(
                session,
                staff_of(request),
                "rgpd_export",
                "personne",
                f"Copie des données d'une personne (RGPD, {kind.upper()}) : "
                f"rendez-vous {_refs(rows)}",
                {"format": kind, "references": [row.reference for row in rows]},
                now=now,
            )
        if kind == "json":
            body, media = export_json(lookup, rows, now), "application/json; charset=utf-8"
        else:
            body, media = export_csv(rows), "text/csv"  # Litestar adds the charset
        name = f"donnees-personnelles_{now:%Y-%m-%d}.{kind}"
        return Response(
            status_code=200,
            content=body,
            media_type=media,
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    @post("/effacement", guards=[admins_only], opt=ADMIN)
    async def confirm_erasure(self, request: AnyRequest) -> Response[Any]:
        lookup, values = await self._lookup(request)
        if lookup is None:
            return await self._refused(request, values)
        now: datetime = request.app.state.clock()
        async with request.app.state.db.read() as session:
            rows = await find_bookings(session, lookup)
            plan = await erasure_plan(session, lookup, now)
        future = [r for r in rows if r.status == STATUS_LABELS["confirmed"] and r.start > now]
        return staff_page(
            request,
            CONFIRM,
            {"lookup": lookup, "rows": rows, "future": future, "plan": plan, "errors": {}},
        )

    @post("/effacement/confirmer", guards=[admins_only], opt=ADMIN)
    async def erase(self, request: AnyRequest) -> Response[Any]:
        lookup, values = await self._lookup(request)
        if lookup is None:
            return await self._refused(request, values)
        now: datetime = request.app.state.clock()
        settings = request.app.state.settings
        async with request.app.state.db.write() as session:
            rows = await find_bookings(session, lookup)
            plan = await erasure_plan(session, lookup, now)
            erased, cancelled = await erase(session, plan, now, settings)
            await record(
                session,
                staff_of(request),
                "rgpd_effacement",
                "personne",
                f"Effacement des données d'une personne (RGPD) : rendez-vous {_refs(rows)} "
                f"anonymisés, {cancelled} à venir annulé(s)",
                {"references": [row.reference for row in rows], "annules": cancelled},
                now=now,
            )
        return Redirect(f"/admin/rgpd?efface={erased}&annules={cancelled}", status_code=303)

    @post("/conservation", guards=[admins_only], opt=ADMIN)
    async def retention(self, request: AnyRequest) -> Response[Any]:
        values = await read_form(request)
        raw = values.get("conservation", "")
        try:
            days = parse_retention_days(raw)
        except InvalidRetention as error:
            return await self._page(
                request,
                values={"conservation": raw},
                errors={"conservation": str(error)},
                status_code=422,
            )
        async with request.app.state.db.write() as session:
            current = await current_retention(session)
            if current is None:
                return Redirect("/admin/rgpd", status_code=303)
            previous = await set_retention(session, current[0], days)
            await record(
                session,
                staff_of(request),
                "rgpd_conservation",
                f"commune:{current[0]}",
                f"Durée de conservation des données : {previous} → {days} jours",
                {"avant": previous, "apres": days},
                now=request.app.state.clock(),
            )
        return Redirect("/admin/rgpd?conservation=enregistree", status_code=303)
