"""Who sees which leads, the list's filters and keyset pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Membership
from leads.models import Lead, PipelineStage
from leads.selectors.lead_page import lead_for_page
from leads.selectors.lists import Cursor, LeadFilters, leads_page
from leads.selectors.visibility import leads_visible
from leads.services import Inquiry, lead_capture


@pytest.fixture
def team(agency_a):
    return {
        role: Membership.objects.get(user_id=agency_a.users[role].pk)
        for role in ("admin", "manager", "agent", "privacy_officer")
    }


def capture(phone: str, **extra) -> Lead:
    assignee = extra.pop("assignee", None)
    tags = extra.pop("tags", None)
    lead = lead_capture(
        inquiry=Inquiry(source=extra.pop("source", "website"), phones=[phone], **extra)
    ).lead
    updates = {}
    if assignee is not None:
        updates["assignee"] = assignee
    if tags is not None:
        updates["tags"] = tags
    if updates:
        Lead.objects.filter(pk=lead.pk).update(**updates)
        lead.refresh_from_db()
    return lead


def ids(page) -> list[int]:
    return [lead.pk for lead in page.leads]


def test_agents_see_their_own_leads_managers_and_admins_see_all(team):
    mine = capture("050 100 0001", assignee=team["agent"])
    theirs = capture("050 100 0002", assignee=team["manager"])
    nobodys = capture("050 100 0003")

    assert set(leads_visible(actor=team["agent"])) == {mine}
    assert set(leads_visible(actor=team["manager"])) == {mine, theirs, nobodys}
    assert set(leads_visible(actor=team["admin"])) == {mine, theirs, nobodys}
    assert not leads_visible(actor=team["privacy_officer"]).exists()
    assert lead_for_page(actor=team["agent"], lead_id=theirs.pk) is None
    assert lead_for_page(actor=team["agent"], lead_id=mine.pk) == mine


def test_merged_leads_are_hidden(team):
    kept = capture("050 100 0001")
    gone = capture("050 100 0002")
    Lead.objects.filter(pk=gone.pk).update(merged_into=kept)
    assert list(leads_visible(actor=team["manager"])) == [kept]


def test_filters(team):
    contacted = PipelineStage.objects.get(name="Contacted")
    a = capture(
        "050 100 0001",
        source="meta",
        assignee=team["agent"],
        communities=["JVC", "Dubai Marina"],
        budget_min=Decimal("800000"),
        budget_max=Decimal("1200000"),
        tags=["hot", "cash buyer"],
    )
    b = capture(
        "050 100 0002",
        source="website",
        communities=["Palm Jumeirah"],
        budget_max=Decimal("15000000"),
        tags=["investor"],
    )
    c = capture("050 100 0003", source="whatsapp", budget_min=Decimal("90000"))
    Lead.objects.filter(pk=b.pk).update(stage=contacted)
    Lead.objects.filter(pk=c.pk).update(created_at=timezone.now() - dt.timedelta(days=10))
    manager = team["manager"]

    def only(**filters) -> set[int]:
        return set(ids(leads_page(actor=manager, filters=LeadFilters(**filters))))

    assert only(stage_id=contacted.pk) == {b.pk}
    assert only(assignee="none") == {b.pk, c.pk}
    assert only(assignee=str(team["agent"].pk)) == {a.pk}
    assert only(assignee="me") == set()
    assert only(source="meta") == {a.pk}
    assert only(tag="hot") == {a.pk}
    assert only(tag="ho") == set()
    assert only(community="JVC") == {a.pk}
    today = timezone.localdate()
    assert only(created_from=today) == {a.pk, b.pk}
    assert only(created_to=today - dt.timedelta(days=5)) == {c.pk}
    # budgets are ranges (one figure alone is both ends): a lead fits when its range overlaps
    # the one asked for
    assert only(budget_min=Decimal("1000000")) == {a.pk, b.pk}
    assert only(budget_max=Decimal("100000")) == {c.pk}
    assert only(budget_min=Decimal("1000000"), budget_max=Decimal("2000000")) == {a.pk}
    assert only(budget_min=Decimal("1300000"), budget_max=Decimal("20000000")) == {b.pk}


def test_keyset_pages_are_stable_when_leads_share_a_creation_time(team):
    # given nine leads, seven of them created at the very same instant
    leads = [capture(f"050 200 00{i:02d}") for i in range(9)]
    same = timezone.now() - dt.timedelta(hours=1)
    Lead.objects.filter(pk__in=[lead.pk for lead in leads[1:8]]).update(created_at=same)
    expected = list(Lead.objects.order_by("-created_at", "-id").values_list("pk", flat=True))

    # when the list is walked three at a time, following each page's cursor
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = leads_page(actor=team["manager"], filters=LeadFilters(), cursor=cursor, size=3)
        seen += ids(page)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break

    # then every lead shows up once, in order, and a lead added meanwhile shifts nothing
    assert seen == expected
    assert pages == 3


def test_a_page_is_read_without_counting_the_table(team):
    for i in range(4):
        capture(f"050 300 00{i:02d}")
    with CaptureQueriesContext(connection) as queries:
        page = leads_page(actor=team["manager"], filters=LeadFilters(), size=2)
    assert page.next_cursor
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)


@pytest.mark.parametrize("junk", ["", "abc", "1.2.3", "9" * 40 + ".1", "-5.3", "1700000000000000"])
def test_a_bad_cursor_shows_the_first_page(team, junk):
    lead = capture("050 400 0001")
    assert Cursor.decode(junk) is None
    assert ids(leads_page(actor=team["manager"], filters=LeadFilters(), cursor=junk)) == [lead.pk]


def test_cursor_round_trip():
    moment = dt.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)
    assert Cursor.decode(Cursor(moment, 42).encode()) == Cursor(moment, 42)


@pytest.mark.parametrize("column", ["tags", "communities"])
def test_a_rare_tag_or_community_is_read_through_its_index_with_the_same_result(
    team, monkeypatch, column
):
    from leads.selectors import lists as selectors

    wanted = capture("050 500 0001", **{column: ["Al Furjan"]})
    capture("050 500 0002", **{column: ["JVC"]})
    big = selectors.GramStats(
        rows=1_000_000.0, frequencies={"JVC": 0.3}, floor=0.0001, read_at=float("inf")
    )
    monkeypatch.setattr(selectors, "gram_stats", lambda column="search_grams": big)

    assert selectors.element_is_rare(column, "Al Furjan", batch=26)
    assert not selectors.element_is_rare(column, "JVC", batch=26)
    asked = LeadFilters(tag="Al Furjan") if column == "tags" else LeadFilters(community="Al Furjan")
    page = leads_page(actor=team["manager"], filters=asked)
    assert ids(page) == [wanted.pk]
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_indexscan")
        assert cursor.fetchone()[0] == "on"
