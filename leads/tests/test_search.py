"""Search by name in either script, email, or phone digits in any format, through the gram
index with a precise re-check."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import Membership
from leads.models import Lead
from leads.selectors.lists import LeadFilters, leads_filtered, leads_page, search_terms
from leads.services import Inquiry, lead_capture


@pytest.fixture
def manager(agency_a):
    return Membership.objects.get(user_id=agency_a.users["manager"].pk)


@pytest.fixture
def people(agency_a):
    def add(name, phone, email=""):
        return lead_capture(
            inquiry=Inquiry(source="website", full_name=name, phones=[phone], email=email)
        ).lead

    return {
        "ahmed": add("Ahmed Khan", "050 123 4567", "ahmed.khan@example.com"),
        "arabic": add("أحمد المنصوري", "+971 55 765 4321"),
        "mueller": add("Jürgen Müller", "056 222 3333", "jm@firma.de"),
        "fatima": add("فاطمة الزهراء", "052 444 5555", "fatima@mail.ae"),
        "decoy": add("Danm Nmay", "058 999 0000"),
    }


def found(manager, query: str) -> set[int]:
    page = leads_page(actor=manager, filters=LeadFilters(query=query), size=50)
    assert page.searched
    return {lead.pk for lead in page.leads}


@pytest.mark.parametrize(
    "query",
    ["4567", "050 123", "+97150", "00971 50 123", "0501234567", "971-50-123", "٠٥٠١٢٣"],
)
def test_partial_phone_in_any_format(manager, people, query):
    assert found(manager, query) == {people["ahmed"].pk}


@pytest.mark.parametrize("query", ["احمد", "أحمد", "أَحْمَد", "إحمد", "منصوري", "المنصو"])
def test_arabic_name_with_or_without_hamza_and_diacritics(manager, people, query):
    assert found(manager, query) == {people["arabic"].pk}


def test_arabic_teh_marbuta_and_alef_variants_fold(manager, people):
    assert found(manager, "فاطمه") == {people["fatima"].pk}
    assert found(manager, "الزهرا") == {people["fatima"].pk}


@pytest.mark.parametrize("query", ["khan", "KHA", "hmed", "Ahmed Kh", "ahmed khan"])
def test_latin_partial_name(manager, people, query):
    assert found(manager, query) == {people["ahmed"].pk}


def test_accents_do_not_matter(manager, people):
    assert found(manager, "muller") == {people["mueller"].pk}
    assert found(manager, "Jürg") == {people["mueller"].pk}


@pytest.mark.parametrize("query", ["ahmed.khan@example.com", "ahmed.khan@", "example.com"])
def test_email(manager, people, query):
    assert found(manager, query) == {people["ahmed"].pk}


def test_grams_from_different_words_are_not_a_match(manager, people):
    # "Danm Nmay" holds the grams of "anma" ("anm", "nma"), but not the word.
    assert search_terms("anma").grams == ("anm", "nma")
    candidates = leads_filtered(actor=manager, filters=LeadFilters(), terms=search_terms("anma"))
    assert list(candidates) == [people["decoy"]]
    assert found(manager, "anma") == set()


@pytest.mark.parametrize("query, who", [("050", "ahmed"), ("٠٥٠", "ahmed"), ("05", "all")])
def test_a_local_prefix_alone_finds_the_numbers_that_start_with_it(manager, people, query, who):
    # "050" is +971 50...; "05" every UAE mobile. Neither is "50" anywhere in a number.
    expected = {p.pk for p in people.values()} if who == "all" else {people[who].pk}
    page = leads_page(actor=manager, filters=LeadFilters(query=query), size=50)
    assert not page.search_too_short
    assert {lead.pk for lead in page.leads} == expected


def test_nothing_matches_and_short_queries_ask_for_more(manager, people):
    assert found(manager, "zzzz") == set()
    page = leads_page(actor=manager, filters=LeadFilters(query="kh"))
    assert page.search_too_short
    assert len(page.leads) == len(people)


def test_search_sees_only_what_the_actor_may_see(agency_a, people):
    agent = Membership.objects.get(user_id=agency_a.users["agent"].pk)
    assert found(agent, "khan") == set()
    Lead.objects.filter(pk=people["ahmed"].pk).update(assignee=agent)
    assert found(agent, "khan") == {people["ahmed"].pk}


def test_search_is_answered_by_the_gram_index(manager, people):
    # The containment the list adds, written exactly as leads_filtered writes it, can use the
    # GIN index (a cast or another operator would silently fall back to a scan).
    terms = search_terms("khan")
    listed = leads_filtered(actor=manager, filters=LeadFilters(), terms=terms)
    assert "@>" in str(listed.query)
    alone = Lead.objects.filter(search_grams__contains=list(terms.grams)).order_by().values("pk")
    sql, params = alone.query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of rows is cheaper to scan; tell the planner to use an index if it can.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "leads_lead_search_gin" in plan


def test_search_pages_follow_the_cursor(manager, agency_a):
    for i in range(7):
        lead_capture(
            inquiry=Inquiry(
                source="csv", full_name=f"Khalid Test{i}", phones=[f"050 700 00{i:02d}"]
            )
        )
    seen: list[int] = []
    cursor = None
    while True:
        page = leads_page(actor=manager, filters=LeadFilters(query="khalid"), cursor=cursor, size=3)
        seen += [lead.pk for lead in page.leads]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 7 == len(set(seen))


def test_common_terms_walk_the_newest_first_index_and_find_the_same(manager, people, monkeypatch):
    from leads.selectors import lists as selectors

    # given statistics of a big agency where "khan" is on one lead in fifty
    big = selectors.GramStats(
        rows=1_000_000.0,
        frequencies={"kha": 0.02, "han": 0.03, "ahm": 0.01, "hme": 0.01, "med": 0.02},
        floor=0.0001,
        read_at=float("inf"),
    )
    monkeypatch.setattr(selectors, "gram_stats", lambda: big)

    # then a common name walks the index, six rare phone digits use the GIN
    assert selectors.search_walks_index(search_terms("khan"), batch=26)
    assert not selectors.search_walks_index(search_terms("050 123 4"), batch=26)
    # and the walk finds what the GIN finds, leaving the planner as it was
    assert found(manager, "khan") == {people["ahmed"].pk}
    monkeypatch.setattr(selectors, "search_walks_index", lambda terms, batch: True)
    assert found(manager, "ahmed k") == {people["ahmed"].pk}
    assert found(manager, "4567") == {people["ahmed"].pk}
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_bitmapscan")
        assert cursor.fetchone()[0] == "on"


def test_gram_statistics_come_from_analyze(manager, people):
    from leads.selectors import lists as selectors

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")
    selectors._gram_stats.clear()
    stats = selectors.gram_stats()
    assert stats.rows == len(people)
    assert stats.frequencies.get("kha", 0) > 0


def test_a_phone_like_query_searches_phone_numbers_only(manager, agency_a):
    # "4321" is in this lead's email, not in its phone number
    lead_capture(
        inquiry=Inquiry(
            source="api",
            full_name="Numbers Person",
            phones=["050 111 2222"],
            email="np4321@example.com",
        )
    )
    assert found(manager, "4321") == set()
    assert found(manager, "np4321") != set()
