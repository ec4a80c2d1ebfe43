"""A new agency's schema is an exact copy of the migrated template."""

from django.db import connection
from django_tenants.utils import schema_context

from leads.models import PipelineStage
from tenants.services import agency_create

CATALOG = """
SELECT 'table', c.relname, '' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %(s)s AND c.relkind = 'r'
UNION ALL
SELECT 'column', c.relname || '.' || a.attname,
       format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text || ' '
       || a.attidentity::text || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %(s)s AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint', con.conname, replace(pg_get_constraintdef(con.oid), %(s)s, 'X')
  FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
 WHERE n.nspname = %(s)s
UNION ALL
SELECT 'index', ic.relname, replace(pg_get_indexdef(ic.oid), %(s)s, 'X')
  FROM pg_class ic JOIN pg_namespace n ON n.oid = ic.relnamespace
 WHERE n.nspname = %(s)s AND ic.relkind = 'i'
"""


def _catalog(schema: str) -> set[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL search_path TO pg_catalog")
        cursor.execute(CATALOG, {"s": schema})
        rows = set(cursor.fetchall())
        cursor.execute("SET LOCAL search_path TO public")
    return rows


def test_a_new_agency_schema_matches_the_template(db):
    # when an agency is created
    agency = agency_create(
        slug="clone-check",
        name="Clone Check",
        admin_email="admin@clone-check.test",
        admin_password="correct-horse-battery-staple",
    )

    # then its tables, columns, constraints and indexes are the template's, names included
    assert _catalog(agency.schema_name) == _catalog("agency_template")
    with connection.cursor() as cursor:
        cursor.execute('SELECT count(*) FROM "agency_template".django_migrations')
        template_migrations = cursor.fetchone()[0]
        cursor.execute(f'SELECT count(*) FROM "{agency.schema_name}".django_migrations')
        assert cursor.fetchone()[0] == template_migrations

    # and its rows too: the default pipeline, with ids that keep counting after the copy
    with schema_context(agency.schema_name):
        assert PipelineStage.objects.count() == 7
        extra = PipelineStage.objects.create(name="Handover", position=9)
        assert extra.pk == max(PipelineStage.objects.values_list("pk", flat=True))
