"""The cached snapshots of the reference tables (app.booking.reference) carry every column
but the logo's bytes, and the tables cached are exactly those whose changes are tracked
(app.db.reference_version): a column or a table added later cannot be forgotten."""

from __future__ import annotations

from dataclasses import fields

from app.booking.reference import (
    LEFT_OUT,
    ClosureInfo,
    CommuneInfo,
    DeskInfo,
    OpeningInfo,
    SiteInfo,
    TypeInfo,
)
from app.db.models import AppointmentType, Closure, Commune, Desk, OpeningRule, Site
from app.db.reference_version import REFERENCE_TABLES

SNAPSHOTS = [
    (CommuneInfo, Commune),
    (SiteInfo, Site),
    (DeskInfo, Desk),
    (TypeInfo, AppointmentType),
    (OpeningInfo, OpeningRule),
    (ClosureInfo, Closure),
]
RELATED = {"site", "desks"}  # a type's site and desks, taken from their own snapshots


def test_every_column_but_the_logo_has_its_field():
    for snapshot, model in SNAPSHOTS:
        columns = {column.name for column in model.__table__.columns}
        kept = columns - LEFT_OUT.get(model.__tablename__, frozenset())
        assert {field.name for field in fields(snapshot)} - RELATED == kept, snapshot.__name__


def test_the_cached_tables_are_the_tracked_tables():
    cached = {model.__tablename__ for _, model in SNAPSHOTS} | {"desk_type"}  # desks of types
    assert cached == REFERENCE_TABLES
