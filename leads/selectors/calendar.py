"""The agency's calendar: its time zone, for due dates and date filters."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import connection


def agency_zone() -> zoneinfo.ZoneInfo:
    name = getattr(getattr(connection, "tenant", None), "timezone", None) or "Asia/Dubai"
    try:
        return zoneinfo.ZoneInfo(name)
    except zoneinfo.ZoneInfoNotFoundError:
        return zoneinfo.ZoneInfo("Asia/Dubai")


def start_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=agency_zone())
