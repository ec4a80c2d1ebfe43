"""The lead field spec (`leads.fields`) is the one list of the lead's fields: every consumer
derives its own from it, and no field of the model is left out of it."""

from __future__ import annotations

import csv
import dataclasses
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from leads import fields
from leads.api import schemas
from leads.api.services import DETAIL_FIELDS
from leads.importer.staging import STAGING_COLUMNS
from leads.inquiries import Inquiry
from leads.models import Lead
from leads.services import lead_capture, leads_export_csv
from leads.services.imports import _LEAD_COLUMNS, _STAGING_DDL

MODEL_FIELDS = {field.name for field in Lead._meta.concrete_fields}


def names(selection) -> list[str]:
    return [field.name for field in selection]


# --- the spec and the model -----------------------------------------------------------------


def test_every_field_of_the_lead_model_is_in_the_spec_or_listed_as_internal():
    spec = {field.name for field in fields.LEAD_FIELDS}

    assert MODEL_FIELDS - spec - set(fields.INTERNAL_FIELDS) == set(), (
        "Add the new Lead field to leads/fields.py (or to INTERNAL_FIELDS, with a reason)."
    )
    assert spec - MODEL_FIELDS == set()
    assert spec & set(fields.INTERNAL_FIELDS) == set()
    assert len(spec) == len(fields.LEAD_FIELDS), "a field is declared twice"


def test_the_spec_says_which_fields_are_null_as_the_model_does():
    for field in fields.LEAD_FIELDS:
        assert field.null == Lead._meta.get_field(field.name).null, field.name


def test_an_inquiry_carries_every_detail_of_the_person():
    inquiry_fields = {field.name for field in dataclasses.fields(Inquiry)}

    assert set(names(fields.DETAILS)) <= inquiry_fields


def test_the_spec_imports_nothing_from_django():
    # The benchmarks import it before Django is set up.
    code = "import sys, leads.fields; print(sorted(m for m in sys.modules if 'django' in m))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.strip() == "[]"


# --- each consumer's list is the spec's -------------------------------------------------------


def test_the_api_answers_with_the_fields_marked_api_read():
    assert set(schemas.Lead.model_fields) == set(names(fields.API_READ))


def test_the_api_takes_the_fields_marked_api_create_and_api_update():
    # `phone` is a shorthand for the first of `phones`; `message` goes on the timeline.
    assert set(schemas.LeadCreate.model_fields) - {"phone", "message"} == set(
        names(fields.API_CREATE)
    )
    assert set(schemas.LeadUpdate.model_fields) == set(names(fields.API_UPDATE))
    assert set(DETAIL_FIELDS) == set(names(fields.DETAILS))


def test_an_import_stages_the_fields_marked_staged_plus_its_own_bookkeeping():
    staged = names(fields.STAGED)

    assert STAGING_COLUMNS == ("row_no", "root_no", *staged, "message", "original_source")
    declared = [line.split()[0] for line in _STAGING_DDL.strip().splitlines()[1:-1]]
    assert declared == [*STAGING_COLUMNS, "lead_id", "matched"]
    assert {f"s.{name}" for name in staged} <= set(_LEAD_COLUMNS.values())
    assert set(staged) == set(names(fields.DETAILS)) | {"phone_digits", "search_grams"}


def test_a_repeat_inquiry_fills_in_by_the_spec():
    by_rule = {
        rule: [field.name for field in fields.LEAD_FIELDS if field.fill is rule]
        for rule in fields.Fill
    }

    assert by_rule[fields.Fill.WHEN_EMPTY] == list(fields.FILLED_WHEN_EMPTY)
    assert by_rule[fields.Fill.WHEN_UNSET] == list(fields.FILLED_WHEN_UNSET)
    # Adding to a list is written out in lead_capture and the import: only these two.
    assert by_rule[fields.Fill.ADDED] == ["phones", "communities"]
    for name in fields.FILLED_WHEN_UNSET:
        assert fields.FIELDS_BY_NAME[name].null, f"{name} is filled when None: it must be null"


def test_every_detail_of_the_person_is_in_the_privacy_export():
    for field in fields.DETAILS:
        assert field.privacy, f"{field.name} is about the person: give it a privacy key"


# --- what the exports write (frozen: spreadsheets, re-imports and people's exports read them)


def test_the_csv_export_keeps_its_columns_in_their_order():
    assert fields.EXPORT_COLUMNS == (
        "id", "name", "phones", "email", "source", "stage", "lost_reason", "assignee",
        "interest", "property_type", "bedrooms", "communities", "budget_min", "budget_max",
        "budget_currency", "tags", "created_at",
    )  # fmt: skip


@pytest.fixture
def full_lead(agency_a) -> Lead:
    lead = lead_capture(
        inquiry=Inquiry(
            source="website",
            full_name="=cmd|' /C calc'!A0",
            phones=["050 123 4567", "050 765 4321"],
            email="fatima@example.com",
            nationality="ae",
            preferred_language="ar",
            interest="buy",
            property_type="@villa",
            bedrooms=3,
            communities=["Dubai Marina", "JVC"],
            budget_min=Decimal("1200000"),
            budget_max=None,
            budget_currency="aed",
            source_details={"form": "Spring"},
        )
    ).lead
    Lead.objects.filter(pk=lead.pk).update(tags=["-vip", "expo"], lost_reason="+ too far")
    return Lead.objects.select_related("stage").get(pk=lead.pk)


def test_the_csv_export_writes_every_exported_field_as_before(full_lead, agency_a):
    from accounts.models import Membership

    manager = Membership.objects.get(user_id=agency_a.users["manager"].pk)

    text = "".join(leads_export_csv(leads=[full_lead], names={}, actor=manager))

    header, row = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header == list(fields.EXPORT_COLUMNS)
    assert dict(zip(header, row, strict=True)) == {
        "id": str(full_lead.pk),
        "name": "'=cmd|' /C calc'!A0",
        "phones": "+971501234567 +971507654321",
        "email": "fatima@example.com",
        "source": "website",
        "stage": full_lead.stage.name,
        "lost_reason": "'+ too far",
        "assignee": "",
        "interest": "buy",
        "property_type": "'@villa",
        "bedrooms": "3",
        "communities": "Dubai Marina; JVC",
        "budget_min": "1200000.00",
        "budget_max": "",
        "budget_currency": "AED",
        "tags": "'-vip; expo",
        "created_at": full_lead.created_at.isoformat(),
    }


def test_the_privacy_export_keeps_its_keys_and_values(full_lead):
    assert fields.lead_privacy_export(full_lead) == {
        "id": full_lead.pk,
        "name": "=cmd|' /C calc'!A0",
        "phones": ["+971501234567", "+971507654321"],
        "email": "fatima@example.com",
        "nationality": "AE",
        "preferred_language": "ar",
        "source": "website",
        "source_details": {"form": "Spring"},
        "interest": "buy",
        "property_type": "@villa",
        "bedrooms": 3,
        "communities": ["Dubai Marina", "JVC"],
        "budget": ["1200000.00", "", "AED"],
        "tags": ["-vip", "expo"],
        "created": full_lead.created_at.isoformat(),
    }
