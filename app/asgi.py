"""create_app(): wiring only."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from sqlalchemy.exc import SQLAlchemyError

from app.booking.catalogue import current_commune
from app.booking.drafts import DraftStore
from app.booking.shared_weeks import SharedWeeks
from app.clock import Clock, clock_for
from app.db.session import Database, safe_concurrency
from app.demo import load_demo, local_today
from app.push.vapid import load_or_create_keys
from app.settings import PROJECT_ROOT, Settings
from app.web import log_privacy
from app.web.admission import admission_control
from app.web.after_response import after_response_middleware
from app.web.citizen.changes import ChangesController
from app.web.citizen.final_steps import FinalStepsController
from app.web.citizen.steps import EarlyStepsController
from app.web.commune_pages import accessibility, commune_colours, commune_logo, legal_notice
from app.web.compression import COMPRESSION
from app.web.dev_mail import DevMailController
from app.web.errors import (
    database_error_handler,
    http_exception_handler,
    unexpected_exception_handler,
)
from app.web.feeds import calendar_feed
from app.web.formatting import FILTERS
from app.web.headers import security_headers
from app.web.health import health
from app.web.home import home
from app.web.ids import refuse_impossible_ids
from app.web.pwa.assets import manifest, service_worker
from app.web.pwa.pages import DevicePagesController
from app.web.pwa.push import push_subscribe
from app.web.staff.account import AccountController
from app.web.staff.accounts_admin import AccountsController
from app.web.staff.auth import StaffForbidden, StaffLoginRequired, provide_staff
from app.web.staff.bookings import BookingsController
from app.web.staff.config_desks import DesksController
from app.web.staff.config_hours import OpeningHoursController
from app.web.staff.config_sites import SitesController
from app.web.staff.config_types import TypesController
from app.web.staff.configuration import ConfigurationController
from app.web.staff.dashboard import DashboardController
from app.web.staff.errors import forbidden_handler, login_required_handler
from app.web.staff.export import ExportController
from app.web.staff.gdpr import GdprController
from app.web.staff.journal import JournalController
from app.web.staff.password_links import PasswordLinkController
from app.web.staff.phone_booking import PhoneBookingController
from app.web.staff.planning import PlanningController
from app.web.staff.session import StaffSessionController
from app.web.staff.statistics import StatisticsController
from app.web.staff.view import staff_menu
from app.web.static_files import HTMX_ASSET, static_file, static_url
from app.wiring import build_worker

COMPONENTS = PROJECT_ROOT / "components"


def template_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(COMPONENTS),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(FILTERS)
    environment.globals["htmx_asset"] = HTMX_ASSET
    environment.globals["static_url"] = static_url
    environment.globals["staff_menu"] = staff_menu
    return environment


async def start_services(app: Litestar) -> None:
    """Opens the database named by `app.state.settings` and starts what runs beside the
    requests. Everything a run needs lives on `app.state`, so a stopped application can be
    started again with other settings (the tests do, to build it once per process)."""
    log_privacy.install()  # after the server has configured its loggers
    settings: Settings = app.state.settings
    now: Clock = app.state.clock
    db = Database(settings.database_url)
    app.state.db = db
    app.state.shared_weeks = (
        SharedWeeks(settings.shared_week_seconds) if settings.shared_week_seconds > 0 else None
    )
    app.state.drafts = DraftStore(db, timedelta(minutes=settings.draft_lifetime_minutes))
    await app.state.drafts.purge_expired(now())
    if settings.load_demo:
        await load_demo(db, local_today(now()))
    async with db.read() as session:
        app.state.commune = await current_commune(session)
    app.state.vapid = await load_or_create_keys(db, settings.vapid_private_key, now())
    app.state.worker_task = None
    if settings.embedded_worker:
        # The outbox worker of the embedded default; `creneau worker` can run beside it.
        app.state.worker_stop = asyncio.Event()
        worker = build_worker(db, settings, now)
        app.state.worker_task = asyncio.create_task(worker.run(app.state.worker_stop))


async def stop_services(app: Litestar) -> None:
    if app.state.get("worker_task") is not None:
        app.state.worker_stop.set()
        await app.state.worker_task
        app.state.worker_task = None
    await app.state.db.dispose()


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Litestar:
    """The application; its clock is the machine's unless given (tests) or frozen by the
    settings."""
    settings = settings or Settings.from_env()
    state = State({"settings": settings, "clock": clock or clock_for(settings.frozen_now)})
    in_flight = settings.max_requests_in_flight or safe_concurrency(settings.database_url)
    return Litestar(
        route_handlers=[
            home,
            health,
            calendar_feed,
            EarlyStepsController,
            FinalStepsController,
            ChangesController,
            legal_notice,
            accessibility,
            commune_logo,
            commune_colours,
            StaffSessionController,
            ExportController,
            StatisticsController,
            GdprController,
            PasswordLinkController,
            DashboardController,
            AccountController,
            ConfigurationController,
            TypesController,
            OpeningHoursController,
            AccountsController,
            JournalController,
            SitesController,
            DesksController,
            PlanningController,
            BookingsController,
            PhoneBookingController,
            service_worker,
            manifest,
            DevicePagesController,
            push_subscribe,
            *([DevMailController] if settings.debug else []),
            static_file,
        ],
        before_request=refuse_impossible_ids,
        on_startup=[start_services],
        on_shutdown=[stop_services],
        state=state,
        middleware=[
            after_response_middleware,
            admission_control(in_flight),
        ],
        before_send=[security_headers(https=settings.secure_cookies)],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="creneau_csrf",
            cookie_secure=settings.secure_cookies,
            cookie_httponly=True,
            cookie_samesite="lax",
        ),
        template_config=TemplateConfig(
            engine=JinjaTemplateEngine.from_environment(template_environment())
        ),
        dependencies={"staff": Provide(provide_staff)},
        exception_handlers={
            StaffLoginRequired: login_required_handler,
            StaffForbidden: forbidden_handler,
            HTTPException: http_exception_handler,
            SQLAlchemyError: database_error_handler,
            ConnectionError: database_error_handler,
            Exception: unexpected_exception_handler,
        },
        compression_config=COMPRESSION,
        # No OpenAPI schema: /schema would publish the map of every route, /admin included,
        # and the application has no API for anyone to read it for.
        openapi_config=None,
        request_max_body_size=64 * 1024,
    )
