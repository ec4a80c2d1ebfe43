"""CSV / Excel import: files as agencies really export them, end to end."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Membership
from leads.models import ImportJob, Lead, LeadActivity
from leads.services.imports import import_job_create, import_job_run, import_job_start

FIXTURES = Path(__file__).parent / "fixtures" / "csv"
MESSY = "leads_messy_utf8_bom.csv"
ARABIC = "leads_arabic_windows1256_semicolon.csv"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def fixture_upload(name: str) -> SimpleUploadedFile:
    return upload(name, (FIXTURES / name).read_bytes())


def admin_of(agency) -> Membership:
    return Membership.objects.get(user=agency.users["admin"])


def run_import(agency, file, *, columns=None, django_capture_on_commit_callbacks=None, **run):
    actor = admin_of(agency)
    job = import_job_create(actor=actor, upload=file)
    job = import_job_start(job=job, actor=actor, columns=columns or job.mapping["columns"])
    if django_capture_on_commit_callbacks is None:
        return import_job_run(job_id=job.pk, **run)
    with django_capture_on_commit_callbacks(execute=True):
        pass
    job.refresh_from_db()
    return job


def problems_of(job: ImportJob) -> list[dict]:
    with job.rejected_file.open("rb") as f:
        text = f.read().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


# --- the two messy fixture files ------------------------------------------------------------


def test_the_messy_export_imports_what_a_good_importer_should(agency_a):
    # given the portal export whose last column says what should happen to each row
    # when it is imported
    job = run_import(agency_a, fixture_upload(MESSY))

    # then seven people are new leads, the repeat of Ahmed joins his lead, the row with no
    # contact is rejected
    assert job.status == ImportJob.Status.DONE
    assert (job.created_leads, job.updated_leads, job.rejected_rows) == (7, 1, 1)
    assert job.processed_rows == job.total_rows == 9
    assert Lead.objects.count() == 7
    assert not job.file  # the uploaded copy is gone; the rows with problems stay
    assert job.rejected_file

    ahmed = Lead.objects.get(phones__contains=["+971501234567"])
    assert ahmed.full_name == "Ahmed Khan"
    assert ahmed.email == "ahmed.khan@example.com"
    assert ahmed.budget_max == Decimal("1200000.00") and ahmed.budget_currency == "AED"
    assert ahmed.communities == ["JVC"] and ahmed.bedrooms == 2
    assert ahmed.source == "csv"
    assert ahmed.source_details == {
        "import_job": job.pk,
        "row": 1,
        "original_source": "Property Finder",
    }
    assert list(ahmed.activities.values_list("kind", flat=True)) == ["imported", "imported"]
    assert [a.data["row"] for a in ahmed.activities.all()] == [1, 4]

    priya = Lead.objects.get(full_name="Priya Sharma")
    assert priya.phones == ["+971525550199"]
    assert priya.budget_max == Decimal("85000.00") and priya.interest == "rent"

    mohammed = Lead.objects.get(full_name="محمد العلي")
    assert mohammed.phones == ["+971559876543"]
    assert mohammed.activities.get().data["message"] == "يفضل إطلالة بحرية"  # the note
    assert Lead.objects.get(full_name="Olga Petrova").phones == ["+79161234567"]
    assert Lead.objects.get(full_name="Olga Petrova").budget_max == Decimal("2500000.00")
    assert Lead.objects.get(full_name="John O'Neil").budget_max == Decimal("4000000.00")

    # "bad email: keep phone, report email"
    fatima = Lead.objects.get(full_name="فاطمة الزهراء")
    assert fatima.phones == ["+971561112233"] and fatima.email == ""
    # "phone too short: keep email, report phone"
    li = Lead.objects.get(full_name="Li Wei")
    assert li.phones == [] and li.email == "li.wei@example.cn"

    problems = {int(p["row"]): p for p in problems_of(job)}
    assert "Give at least a phone number or an email address." in problems[5]["reason"]
    assert "not-an-email" in problems[7]["reason"] and "Imported without" in problems[7]["reason"]
    assert "12345" in problems[9]["reason"] and "Imported without" in problems[9]["reason"]
    assert problems[5]["Notes"] == "no contact at all: must be rejected"
    assert set(problems) <= {5, 7, 8, 9}


def test_arabic_windows_1256_semicolon_file(agency_a):
    job = run_import(agency_a, fixture_upload(ARABIC))

    assert job.encoding == "cp1256" and job.delimiter == ";"
    assert job.mapping["columns"] == [
        "full_name",
        "phone",
        "email",
        "source",
        "budget",
        "community",
    ]
    assert (job.created_leads, job.updated_leads, job.rejected_rows) == (3, 0, 0)
    khaled = Lead.objects.get(full_name="خالد المنصوري")
    assert khaled.phones == ["+971509998877"] and khaled.email == "khaled@example.ae"
    assert khaled.budget_max == Decimal("2000000.00")
    assert khaled.communities == ["الخليج التجاري"]
    assert khaled.source_details["original_source"] == "موقع الوكالة"
    # "غير متوفر" (not available) in the phone column is an empty cell, not a problem
    sara = Lead.objects.get(full_name="سارة أحمد")
    assert sara.phones == [] and sara.email == "sara@example.ae"


def test_the_same_file_twice_adds_nothing(agency_a):
    first = run_import(agency_a, fixture_upload(MESSY))
    leads_before = Lead.objects.count()
    activities_before = LeadActivity.objects.count()

    second = run_import(agency_a, fixture_upload(MESSY))

    assert second.status == ImportJob.Status.DONE
    assert second.error == "already_imported"
    assert (second.created_leads, second.updated_leads) == (0, 0)
    assert Lead.objects.count() == leads_before
    assert LeadActivity.objects.count() == activities_before
    assert first.file_sha256 == second.file_sha256


def test_rows_matching_existing_leads_update_them_instead_of_duplicating(agency_a):
    run_import(agency_a, fixture_upload(MESSY))
    # a different file (another export) naming some of the same people
    content = (
        b"Full Name,Phone,E-mail,Nationality\n"
        b"Ahmed K.,+971 50 123 4567,,Indian\n"
        b"Priya Sharma,,priya@example.com,\n"
        b"New Person,055 000 1111,new@example.com,British\n"
    )

    job = run_import(agency_a, upload("crm.csv", content))

    assert (job.created_leads, job.updated_leads, job.rejected_rows) == (2, 1, 0)
    ahmed = Lead.objects.get(phones__contains=["+971501234567"])
    assert ahmed.full_name == "Ahmed Khan"  # what the lead had is kept
    assert ahmed.nationality == "IN"  # what it lacked is filled in
    assert Lead.objects.get(full_name="New Person").nationality == "GB"


# --- encodings, delimiters, Excel -----------------------------------------------------------

ROWS = [
    ["Name", "Mobile", "Email", "Budget", "Bedrooms"],
    ["Sara Al Hashimi", "050 765 4321", "sara.h@example.ae", "1.8M", "Studio"],
    ["Rahul Mehta", "+971 55 111 2222", "", "120,000 per year", "2"],
]


def text_file(rows, *, delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize(
    "name, content, encoding, delimiter",
    [
        ("excel-unicode.txt", text_file(ROWS, delimiter="\t").encode("utf-16"), "utf-16", "\t"),
        (
            "big-endian.csv",
            b"\xfe\xff" + text_file(ROWS, delimiter=",").encode("utf-16-be"),
            "utf-16",
            ",",
        ),
        ("tabs.tsv", text_file(ROWS, delimiter="\t").encode(), "utf-8", "\t"),
        ("semicolons.csv", text_file(ROWS, delimiter=";").encode("utf-8-sig"), "utf-8-sig", ";"),
    ],
)
def test_encodings_and_delimiters(agency_a, name, content, encoding, delimiter):
    job = run_import(agency_a, upload(name, content))

    assert (job.encoding, job.delimiter) == (encoding, delimiter)
    assert (job.created_leads, job.rejected_rows) == (2, 0)
    sara = Lead.objects.get(phones=["+971507654321"])
    assert sara.full_name == "Sara Al Hashimi" and sara.bedrooms == 0
    assert sara.budget_max == Decimal("1800000.00")
    rahul = Lead.objects.get(phones=["+971551112222"])
    assert rahul.interest == "rent" and rahul.budget_max == Decimal("120000.00")


def test_excel_workbook(agency_a):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["الاسم", "رقم الهاتف", "البريد الإلكتروني", "الميزانية", "غرف النوم", "الجنسية"])
    # Excel keeps a phone typed without its leading 0 or + as a number
    sheet.append(["عبدالله الكتبي", 971501112233, "a.k@example.ae", 2500000, 3, "إماراتي"])
    sheet.append([None, None, None, None, None, None])  # a blank row is skipped, not rejected
    sheet.append(["Maria Ivanova", "0581234567", None, "AED 900k", "2 BR", "Russian"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    job = run_import(agency_a, upload("leads.xlsx", buffer.getvalue()))

    assert job.mapping["kind"] == "xlsx"
    assert (job.created_leads, job.updated_leads, job.rejected_rows) == (2, 0, 0)
    abdullah = Lead.objects.get(full_name="عبدالله الكتبي")
    assert abdullah.phones == ["+971501112233"]
    assert abdullah.budget_max == Decimal("2500000.00") and abdullah.bedrooms == 3
    assert abdullah.nationality == "AE"
    maria = Lead.objects.get(full_name="Maria Ivanova")
    assert maria.phones == ["+971581234567"] and maria.budget_max == Decimal("900000.00")
    assert maria.nationality == "RU" and maria.source_details["row"] == 3


# --- files we can't import ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("quotes.csv", b'Name,Mobile\nAhmed,"050 123 4567\nSara,0509876543\n', "quote"),
        ("stray.csv", b'Name,Mobile\n"Ahmed"Khan,0501234567\n', "quote"),
        ("junk.csv", bytes(range(256)) * 40, "unreadable"),
        ("empty.csv", b"", "empty"),
        ("blank.csv", b"\r\n\r\n", "empty"),
        ("headers.csv", b"Name,Mobile,Email\r\n", "no leads"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "Upload a CSV"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 100, "(.xls)"),
        ("fake.xlsx", b"Name,Mobile\nA,0501234567\n", "not an Excel workbook"),
        ("zip.csv", b"PK\x03\x04" + b"0" * 100, "not a CSV"),
        ("broken.xlsx", b"PK\x03\x04" + b"0" * 100, "can't be opened"),
    ],
)
def test_files_we_cant_import_get_a_clear_message_and_nothing_is_kept(
    agency_a, name, content, words
):
    with pytest.raises(ValidationError) as error:
        import_job_create(actor=admin_of(agency_a), upload=upload(name, content))

    assert words in " ".join(error.value.messages)
    assert ImportJob.objects.count() == 0
    assert Lead.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused(agency_a, settings):
    settings.LEADS_IMPORT_MAX_BYTES = 1024
    content = ("Name,Mobile\n" + "Ahmed Khan,0501234567\n" * 100).encode()

    with pytest.raises(ValidationError) as error:
        import_job_create(actor=admin_of(agency_a), upload=upload("big.csv", content))

    assert "the most we import at once" in error.value.messages[0]
    assert ImportJob.objects.count() == 0


# --- the pages ------------------------------------------------------------------------------


def test_import_through_the_pages(agency_a, client_for, django_capture_on_commit_callbacks):
    client = client_for(agency_a, "manager")

    # upload
    response = client.get("/leads/import/")
    assert response.status_code == 200
    response = client.post("/leads/import/", {"file": fixture_upload(MESSY)})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response["Location"] == f"/leads/import/{job.pk}/"

    # the guessed columns and the preview, with each row's problem
    page = client.get(response["Location"]).content.decode()
    assert 'value="phone" selected' in page
    assert "Ahmed Khan" in page and "+971501234567" in page
    assert "Same person as row 1" in page
    assert "Give at least a phone number or an email address." in page
    assert "Import 9 rows" in page

    # htmx: change a column, see the preview follow without starting anything
    response = client.post(
        f"/leads/import/{job.pk}/",
        {**columns_of(job), "column_2": "", "action": "preview"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "ahmed.khan@example.com" not in response.content.decode()
    assert "<html" not in response.content.decode()

    # start: the task runs on commit
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/leads/import/{job.pk}/", {**columns_of(job), "action": "start"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Lead.objects.count() == 7

    # the progress partial the page polls reaches 100% and shows the report
    response = client.get(f"/leads/import/{job.pk}/progress/", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'value="100"' in body and "hx-trigger" not in body
    assert "Import finished" in body and "problems.csv" in body

    # the page itself and the list of recent imports show the same report
    page = client.get(f"/leads/import/{job.pk}/").content.decode()
    assert "Import finished" in page and 'hx-trigger="every 1s"' not in page
    assert "7</bdi> new" in client.get("/leads/import/").content.decode()

    # rejected rows download: the row number, the original columns and a reason each
    response = client.get(f"/leads/import/{job.pk}/problems.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["row", *job.mapping["headers"], "reason"]
    assert [r["row"] for r in rows] == ["5", "7", "8", "9"]
    assert all(r["reason"] for r in rows)


def columns_of(job: ImportJob) -> dict[str, str]:
    return {f"column_{i}": field for i, field in enumerate(job.mapping["columns"])}


def test_a_mapping_without_phone_or_email_cant_start(agency_a, client_for):
    client = client_for(agency_a, "admin")
    client.post("/leads/import/", {"file": fixture_upload(ARABIC)})
    job = ImportJob.objects.get()
    columns = {**columns_of(job), "column_1": "", "column_2": ""}

    response = client.post(f"/leads/import/{job.pk}/", {**columns, "action": "start"})

    assert response.status_code == 400
    assert "phone number or the email" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED


def test_an_unreadable_upload_shows_the_reason_on_the_form(agency_a, client_for):
    client = client_for(agency_a, "admin")
    response = client.post("/leads/import/", {"file": upload("q.csv", b'a,b\n1,"2\n')})

    assert response.status_code == 400
    assert "quote mark" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_agents_cant_import(agency_a, client_for):
    job = import_job_create(actor=admin_of(agency_a), upload=fixture_upload(MESSY))
    client = client_for(agency_a, "agent")

    assert client.get("/leads/import/").status_code == 403
    assert client.post("/leads/import/", {"file": fixture_upload(MESSY)}).status_code == 403
    assert client.get(f"/leads/import/{job.pk}/").status_code == 403
    assert ImportJob.objects.count() == 1
    assert client_for(agency_a).get("/leads/import/").status_code == 302  # signed out


def test_another_agencys_import_is_not_found(agency_a, agency_b, client_for):
    from django.db import connection

    connection.set_tenant(agency_b.agency)
    job_b = run_import(agency_b, fixture_upload(MESSY))
    connection.set_tenant(agency_a.agency)
    assert not ImportJob.objects.filter(pk=job_b.pk).exists()

    client = client_for(agency_a, "admin")
    for url in ("", "progress/", "problems.csv"):
        response = client.get(f"/leads/import/{job_b.pk}/{url}", headers={"HX-Request": "true"})
        assert response.status_code == 404
    response = client.post(f"/leads/import/{job_b.pk}/", {"action": "start"})
    assert response.status_code == 404


# --- a run: workers, chunks, interruptions ---------------------------------------------------


def lead_rows() -> list[tuple]:
    return sorted(
        Lead.objects.values_list(
            "full_name", "phones", "email", "phone_digits", "search_grams", "budget_max"
        )
    )


def test_two_worker_processes_and_small_chunks_give_the_same_result(agency_a):
    # chunks of 3 rows: the repeat of Ahmed (row 4) falls in the second chunk and still joins
    # the lead the first chunk created
    job = run_import(agency_a, fixture_upload(MESSY), chunk_size=3, processes=2)

    assert (job.created_leads, job.updated_leads, job.rejected_rows) == (7, 1, 1)
    assert job.processed_rows == 9
    assert Lead.objects.filter(phones__contains=["+971501234567"]).count() == 1


def test_an_interrupted_run_resumes_after_its_last_chunk(agency_a, monkeypatch):
    from leads.services import imports as services

    actor = admin_of(agency_a)
    job = import_job_create(actor=actor, upload=fixture_upload(MESSY))
    job = import_job_start(job=job, actor=actor, columns=job.mapping["columns"])
    write = services._ChunkWriter.write
    calls = []

    def dies_on_the_second_chunk(self, result):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the worker is killed
        return write(self, result)

    monkeypatch.setattr(services._ChunkWriter, "write", dies_on_the_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        import_job_run(job_id=job.pk, chunk_size=3)
    job.refresh_from_db()
    assert (job.status, job.processed_rows) == (ImportJob.Status.RUNNING, 3)

    monkeypatch.setattr(services._ChunkWriter, "write", write)
    job = import_job_run(job_id=job.pk, chunk_size=3)

    assert job.status == ImportJob.Status.DONE
    assert (job.created_leads, job.updated_leads, job.rejected_rows) == (7, 1, 1)
    assert Lead.objects.count() == 7
    assert LeadActivity.objects.count() == 8
    assert [int(p["row"]) for p in problems_of(job)] == [5, 7, 8, 9]


def test_running_a_finished_job_again_does_nothing(agency_a):
    job = run_import(agency_a, fixture_upload(MESSY))
    activities = LeadActivity.objects.count()

    again = import_job_run(job_id=job.pk)

    assert again.status == ImportJob.Status.DONE and again.created_leads == 7
    assert LeadActivity.objects.count() == activities


def test_a_row_the_database_refuses_is_reported_and_its_neighbours_go_in(agency_a, monkeypatch):
    from django.db import connection

    # given a check the validation does not know about (as a later migration might add)
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE leads_lead ADD CONSTRAINT test_no_olga CHECK (full_name <> 'Olga Petrova')"
        )

    job = run_import(agency_a, fixture_upload(MESSY))

    assert (job.created_leads, job.updated_leads, job.rejected_rows) == (6, 1, 2)
    assert not Lead.objects.filter(full_name="Olga Petrova").exists()
    problems = {int(p["row"]): p["reason"] for p in problems_of(job)}
    assert "could not be saved" in problems[6]


# --- the pieces ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "full_name, email, digits",
    [
        ("Ahmed Khan", "ahmed.khan@example.com", "971501234567"),
        ("مُحَمَّد   العَلي", "m.alali@example.ae", "971559876543 971501112233"),
        ("أحمد إبراهيم آل مكتوم", "", ""),
        ("José Ñúñez-O'Brien", "Jose.Nunez+re@EXAMPLE.co.uk", "447700900123"),
        ("Zoë\u00a0Smith \u0661\u0662\u0663", "zoe@x.io", "1"),
        ("ΟΔΥΣΣΕΑΣ Παπαδόπουλος", "o@example.gr", "302101234567"),
        ("", "", "971"),
    ],
)
def test_fast_search_grams_equal_the_capture_service_grams(full_name, email, digits):
    from leads.importer.staging import search_grams_fast
    from leads.search import lead_search_grams

    expected = lead_search_grams(full_name=full_name, email=email, phone_digits=digits)
    assert search_grams_fast(full_name=full_name, email=email, phone_digits=digits) == expected


def test_names_with_tabs_quotes_and_backslashes_survive_the_copy(agency_a):
    content = (
        b"Name,Mobile,Community\n"
        b'"Tab\there ""Q"" back\\slash {brace}",0501230000,"JVC, {x} ""y"""\n'
    )

    job = run_import(agency_a, upload("odd.csv", content))

    assert job.created_leads == 1
    lead = Lead.objects.get()
    assert lead.full_name == 'Tab here "Q" back\\slash {brace}'
    assert lead.communities == ["JVC", '{x} "y"']


@pytest.mark.parametrize(
    "text, low, high",
    [
        ("1,200,000", None, "1200000"),
        ("85000/yr", None, "85000"),
        ("3.5M", None, "3500000"),
        ("AED 4,000,000", None, "4000000"),
        ("1.2-1.5M", "1200000", "1500000"),
        ("٢٥٠٠٠٠٠ درهم", None, "2500000"),
        ("1,5 مليون", None, "1500000"),
        ("750k", None, "750000"),
    ],
)
def test_budgets_are_read_tolerantly(text, low, high):
    from leads.budgets import budget_parse

    budget = budget_parse(text, currency="AED")
    assert budget.low == (Decimal(low) if low else None)
    assert budget.high == Decimal(high)


@pytest.mark.parametrize(
    "headers, expected",
    [
        (["Name", "Mobile", "Email"], ["full_name", "phone", "email"]),
        (["الاسم", "الجوال", "البريد الإلكتروني"], ["full_name", "phone", "email"]),
        (["رقم الهاتف", "المصدر", "الميزانية"], ["phone", "source", "budget"]),
        (["المنطقة", "المجتمع", "غرف النوم"], ["community", "community", "bedrooms"]),
        (["الجنسية", "ملاحظات", "Whatsapp Number"], ["nationality", "notes", "phone"]),
        (["First Name", "Last Name", "Phone 2"], ["first_name", "last_name", "phone"]),
        (["Client ID", "Number of bedrooms", "Budget (AED)"], ["", "bedrooms", "budget"]),
    ],
)
def test_columns_are_matched_from_english_and_arabic_headings(headers, expected):
    from leads.importer.mapping import mapping_guess

    assert mapping_guess(headers) == expected


def test_the_lead_list_links_to_import_for_those_who_may(agency_a, client_for):
    assert (
        'href="/leads/import/"' in client_for(agency_a, "manager").get("/leads/").content.decode()
    )
    assert (
        'href="/leads/import/"' not in client_for(agency_a, "agent").get("/leads/").content.decode()
    )


def _clean_in_a_celery_pool_child(_):
    from leads.importer.rows import RowPlan
    from leads.importer.staging import chunks_cleaned

    plan = RowPlan.build(
        headers=["Name", "Mobile"], mapping=["full_name", "phone"], region="AE", currency="AED"
    )
    chunks = [[(1, ["A", "0501234567"])], [(2, ["B", "0559876543"])], [(3, ["C", "12"])]]
    return [(r.accepted, r.rejected) for r in chunks_cleaned(plan, chunks, processes=2)]


def test_the_worker_processes_start_inside_a_celery_prefork_child():
    # Celery's prefork children are daemonic; multiprocessing would refuse them a pool.
    import billiard

    with billiard.get_context("fork").Pool(1) as pool:
        assert pool.map(_clean_in_a_celery_pool_child, [0]) == [[(1, 0), (1, 0), (0, 1)]]


def test_a_queued_import_polls_and_a_stalled_one_can_be_resumed(
    agency_a, client_for, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    # given an import whose task message was lost (the on-commit callback never ran)
    actor = admin_of(agency_a)
    job = import_job_create(actor=actor, upload=fixture_upload(MESSY))
    import_job_start(job=job, actor=actor, columns=job.mapping["columns"])
    client = client_for(agency_a, "manager")

    page = client.get(f"/leads/import/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page  # htmx polls the progress partial
    assert 'http-equiv="refresh"' in page  # and without JavaScript the page refreshes
    assert "Resume the import" not in page

    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    page = client.get(f"/leads/import/{job.pk}/").content.decode()
    assert "Resume the import" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/leads/import/{job.pk}/resume/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created_leads == 7


def test_a_live_capture_waits_while_an_import_writes_a_chunk(agency_a):
    import threading
    import time

    from django.db import connection, connections, transaction

    from leads.services import Inquiry, lead_capture
    from leads.services.intake import IMPORT_LOCK

    class Undo(Exception):
        pass

    finished = threading.Event()

    def capture_in_another_session():
        connections["default"].set_tenant(agency_a.agency)
        try:
            with transaction.atomic():
                lead_capture(inquiry=Inquiry(source="website", phones=["0507770000"]))
                finished.set()
                raise Undo
        except Undo:
            pass
        finally:
            connections["default"].close()

    # given an import holding the agency's import lock (as it does while writing a chunk)
    key = f"{agency_a.schema_name}:{IMPORT_LOCK}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [key])
    capture = threading.Thread(target=capture_in_another_session)
    capture.start()
    try:
        # then a capture arriving meanwhile waits
        time.sleep(0.5)
        assert not finished.is_set()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])
    # and goes through as soon as the chunk is written
    capture.join(timeout=10)
    assert finished.is_set()


def test_an_upload_over_the_limit_is_refused_before_it_is_read(agency_a, client_for, settings):
    settings.LEADS_IMPORT_MAX_BYTES = 100 * 1024
    content = ("Name,Mobile\n" + "Ahmed Khan,0501234567\n" * 20_000).encode()

    response = client_for(agency_a, "admin").post(
        "/leads/import/", {"file": upload("big.csv", content)}
    )

    assert response.status_code == 413
    assert "the most we import at once is 0.1 MB" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_bad_posts_to_a_job_get_a_form_back_not_an_error(agency_a, client_for):
    client = client_for(agency_a, "admin")
    client.post("/leads/import/", {"file": fixture_upload(MESSY)})
    job = ImportJob.objects.get()

    response = client.post(f"/leads/import/{job.pk}/", {"column_0": "bogus", "action": "start"})
    assert response.status_code == 400
    response = client.get(f"/leads/import/{job.pk}/progress/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Choose the columns" in response.content.decode()
    assert client.get(f"/leads/import/{job.pk}/problems.csv").status_code == 404
    assert client.get("/leads/import/999999/").status_code == 404
