"""Reading lead files as agencies export them: CSV/TSV/TXT in whatever encoding and delimiter
Excel or a portal chose, and .xlsx. Everything streams: a 50 MB file is never held in memory.

`file_inspect` checks an upload once (extension, size, content, encoding, delimiter, quotes,
row count) and raises a ValidationError whose message says what to do; `table_open` then gives
the headers and the data rows of a file that passed.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import io
import os
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
TEXT_EXTENSIONS = (".csv", ".tsv", ".txt")
EXCEL_EXTENSIONS = (".xlsx",)
READ_BLOCK = 1024 * 1024
SNIFF_CHARS = 64 * 1024
DELIMITERS = ",;\t|"
MAX_COLUMNS = 200

CSV = "csv"
XLSX = "xlsx"

# Signatures of files people upload by mistake, so the message can name what they sent.
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, .doc
PDF_MAGIC = b"%PDF"


def max_upload_bytes() -> int:
    return int(getattr(settings, "LEADS_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass(frozen=True)
class FileFormat:
    kind: str  # CSV or XLSX
    encoding: str = ""
    delimiter: str = ""


@dataclass(frozen=True)
class FileSummary:
    format: FileFormat
    sha256: str
    headers: list[str]
    total_rows: int


def _error(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _extension(name: str) -> str:
    return os.path.splitext(name or "")[1].lower()


def upload_check(*, name: str, size: int) -> str:
    """The cheap checks, before a byte is read: a known extension and a size under the limit.
    Returns the kind of file the extension promises."""
    extension = _extension(name)
    if extension in EXCEL_EXTENSIONS:
        kind = XLSX
    elif extension in TEXT_EXTENSIONS:
        kind = CSV
    elif extension == ".xls":
        raise _error(
            _(
                "Old Excel files (.xls) can't be read. In Excel choose File › Save As › "
                "Excel Workbook (.xlsx) or CSV UTF-8, and upload that file."
            ),
            "old_excel",
        )
    else:
        raise _error(
            _("Upload a CSV file (.csv, .tsv or .txt) or an Excel workbook (.xlsx)."),
            "extension",
        )
    if size <= 0:
        raise _error(_("The file is empty. Choose a file with a heading row and leads."), "empty")
    size_check(size)
    return kind


def size_check(size: int) -> None:
    limit = max_upload_bytes()
    if size > limit:
        raise _error(
            _(
                "The file is %(size)s MB; the most we import at once is %(limit)s MB. "
                "Split it into smaller files and import them one after another."
            )
            % {"size": _megabytes(size), "limit": _megabytes(limit)},
            "too_large",
        )


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _bom_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return ""


def _content_kind_check(head: bytes, kind: str) -> None:
    is_zip = head.startswith(ZIP_MAGIC)
    if kind == XLSX and not is_zip:
        raise _error(
            _(
                "This file is named .xlsx but is not an Excel workbook. Open it in Excel and "
                "save it again as .xlsx, or save it as CSV."
            ),
            "not_excel",
        )
    if kind == CSV:
        if is_zip:
            raise _error(
                _(
                    "This file is an Excel workbook or another packed file, not a CSV. "
                    "If it is a workbook, rename it to .xlsx or save it as CSV."
                ),
                "not_text",
            )
        if head.startswith(OLE_MAGIC):
            raise _error(
                _(
                    "This is an old Excel (.xls) or Word file, not a CSV. In Excel choose "
                    "File › Save As › CSV UTF-8, and upload that file."
                ),
                "not_text",
            )
        if head.startswith(PDF_MAGIC):
            raise _error(
                _("This is a PDF, not a spreadsheet. Export the leads as CSV or .xlsx."),
                "not_text",
            )


def _not_text_error() -> ValidationError:
    return _error(
        _(
            "This file does not look like a spreadsheet: it contains unreadable characters. "
            "Export the leads again as CSV or .xlsx and upload that file."
        ),
        "not_text",
    )


def _hash_and_detect_encoding(fileobj: IO[bytes], kind: str) -> tuple[str, str]:
    """One pass over the bytes: the SHA-256 of the file and, for text, its encoding.

    A BOM names UTF-8 or UTF-16. Without one, UTF-8 is kept only if every byte decodes (a
    file is valid UTF-8 or it is not, and the proof can be at its very end); otherwise it is
    what Excel on an Arabic Windows writes, Windows-1256.
    """
    digest = hashlib.sha256()
    fileobj.seek(0)
    head = fileobj.read(8)
    _content_kind_check(head, kind)
    encoding = _bom_encoding(head) if kind == CSV else ""
    decoder = codecs.getincrementaldecoder("utf-8")() if kind == CSV and not encoding else None
    utf8_ok = True
    fileobj.seek(0)
    while block := fileobj.read(READ_BLOCK):
        digest.update(block)
        if kind == CSV and encoding != "utf-16" and b"\x00" in block:
            raise _not_text_error()
        if decoder is not None and utf8_ok:
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                utf8_ok = False
    if decoder is not None and utf8_ok:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    if kind == CSV and not encoding:
        encoding = "utf-8" if utf8_ok else "cp1256"
    fileobj.seek(0)
    return digest.hexdigest(), encoding


def _text_stream(fileobj: IO[bytes], encoding: str) -> io.TextIOWrapper:
    fileobj.seek(0)
    # A UTF-16 file cut mid-character would otherwise stop the import at its last byte.
    errors = "replace" if encoding == "utf-16" else "strict"
    buffered = io.BufferedReader(_Unclosable(fileobj), buffer_size=256 * 1024)
    return io.TextIOWrapper(buffered, encoding=encoding, errors=errors, newline="")


class _Unclosable(io.RawIOBase):
    """Lets a TextIOWrapper read a file without closing it when the wrapper goes away."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _looks_binary(sample: str) -> bool:
    controls = sum(1 for c in sample if c not in "\t\r\n\f\v" and unicodedata.category(c) == "Cc")
    return controls > max(2, len(sample) // 200)


def delimiter_detect(sample: str) -> str:
    """csv.Sniffer first; if it fails, or its answer does not split the heading row, count:
    the delimiter that gives the heading most columns and the most rows of that width wins."""
    lines = sample.splitlines()
    if not lines:
        return ","
    # The sample may end in the middle of a row.
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        sample = "\n".join(lines[:-1])
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    scores: dict[str, tuple[float, int]] = {}
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if any(r)]
        except csv.Error:
            continue
        rows = rows[:50]
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            scores[delimiter] = (0.0, 1)
            continue
        consistent = sum(1 for r in rows if len(r) == width) / len(rows)
        scores[delimiter] = (consistent, width)
    if sniffed and scores.get(sniffed, (0.0, 0))[1] >= 2 and scores[sniffed][0] >= 0.8:
        return sniffed
    best = max(scores.items(), key=lambda item: item[1], default=(",", (0.0, 0)))
    return best[0] if best[1][1] >= 2 else ","


def _sample(fileobj: IO[bytes], encoding: str) -> str:
    fileobj.seek(0)
    raw = fileobj.read(SNIFF_CHARS * 2 if encoding == "utf-16" else SNIFF_CHARS)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(raw, final=False)


def _quote_error(line: int) -> ValidationError:
    return _error(
        _(
            'Line %(line)s of the file has a quote mark (") that is not closed, so the rows '
            "after it can't be told apart. Fix the quotes around that line, or open the file "
            "in Excel and save it again as CSV, then upload it again."
        )
        % {"line": line},
        "malformed",
    )


def _csv_reader(stream: io.TextIOWrapper, delimiter: str):
    # strict: a stray quote is reported instead of swallowing the rest of the file into one cell.
    return csv.reader(stream, delimiter=delimiter, strict=True)


def _is_blank(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)


def _headers_check(headers: list[str]) -> list[str]:
    headers = [" ".join((h or "").replace("\ufeff", "").split()) for h in headers]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise _error(
            _("The file has no heading row. Add a first row naming the columns."), "no_header"
        )
    if len(headers) > MAX_COLUMNS:
        raise _error(
            _("The file has more than %(count)s columns. Keep only the lead columns.")
            % {"count": MAX_COLUMNS},
            "too_many_columns",
        )
    return headers


def _no_rows_error() -> ValidationError:
    return _error(
        _("The file has a heading row but no leads under it. Add rows and upload it again."),
        "no_rows",
    )


def _inspect_csv(fileobj: IO[bytes], encoding: str) -> tuple[str, list[str], int]:
    sample = _sample(fileobj, encoding)
    if _looks_binary(sample):
        raise _not_text_error()
    delimiter = delimiter_detect(sample)
    stream = _text_stream(fileobj, encoding)
    reader = _csv_reader(stream, delimiter)
    headers: list[str] | None = None
    total = 0
    try:
        for row in reader:
            if headers is None:
                if _is_blank(row):
                    continue
                headers = _headers_check(row)
                continue
            if not _is_blank(row):
                total += 1
    except csv.Error as error:
        if "field larger than field limit" in str(error) or "expected" in str(error):
            raise _quote_error(reader.line_num) from error
        raise _error(
            _(
                "Line %(line)s of the file can't be read as CSV. Open the file in Excel, "
                "save it again as CSV UTF-8 and upload it again."
            )
            % {"line": reader.line_num},
            "malformed",
        ) from error
    except UnicodeDecodeError as error:
        raise _not_text_error() from error
    finally:
        stream.detach()
    if headers is None:
        raise _error(_("The file is empty. Choose a file with a heading row and leads."), "empty")
    if total == 0:
        raise _no_rows_error()
    return delimiter, headers, total


def _excel_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # Phone numbers typed into Excel come back as floats: 971501234567.0.
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _open_workbook(fileobj: IO[bytes]):
    from openpyxl import load_workbook

    fileobj.seek(0)
    try:
        return load_workbook(fileobj, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as error:
        raise _error(
            _(
                "This Excel file can't be opened: it may be damaged or protected with a "
                "password. Open it in Excel, save it again as .xlsx (or CSV), and upload it."
            ),
            "bad_excel",
        ) from error
    except Exception as error:  # noqa: BLE001 - openpyxl raises its own errors for bad parts.
        raise _error(
            _(
                "This Excel file can't be opened: it may be damaged or protected with a "
                "password. Open it in Excel, save it again as .xlsx (or CSV), and upload it."
            ),
            "bad_excel",
        ) from error


def _excel_rows(workbook) -> Iterator[list[str]]:
    sheet = workbook.worksheets[0]
    for values in sheet.iter_rows(values_only=True):
        yield [_excel_cell(v) for v in values]


def _inspect_xlsx(fileobj: IO[bytes]) -> tuple[list[str], int]:
    workbook = _open_workbook(fileobj)
    try:
        if not workbook.worksheets:
            raise _error(_("The workbook has no sheets."), "empty")
        headers: list[str] | None = None
        total = 0
        try:
            for row in _excel_rows(workbook):
                if headers is None:
                    if not _is_blank(row):
                        headers = _headers_check(row)
                    continue
                if not _is_blank(row):
                    total += 1
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
            raise _error(
                _(
                    "This Excel file can't be read to the end: it may be damaged. Open it in "
                    "Excel, save it again, and upload it."
                ),
                "bad_excel",
            ) from error
    finally:
        workbook.close()
    if headers is None:
        raise _error(
            _("The first sheet of the workbook is empty. Put the leads on the first sheet."),
            "empty",
        )
    if total == 0:
        raise _no_rows_error()
    return headers, total


def file_inspect(fileobj: IO[bytes], *, name: str, size: int) -> FileSummary:
    """Everything we need to know about an upload before it is kept, in two streamed passes.
    Raises ValidationError (one sentence to show the person) for anything we can't import."""
    kind = upload_check(name=name, size=size)
    sha256, encoding = _hash_and_detect_encoding(fileobj, kind)
    if kind == XLSX:
        headers, total = _inspect_xlsx(fileobj)
        file_format = FileFormat(kind=XLSX)
    else:
        delimiter, headers, total = _inspect_csv(fileobj, encoding)
        file_format = FileFormat(kind=CSV, encoding=encoding, delimiter=delimiter)
    fileobj.seek(0)
    return FileSummary(format=file_format, sha256=sha256, headers=headers, total_rows=total)


class Table:
    """The rows of an inspected file: `headers`, then `rows()` yields `(row_number, values)`
    for each non-blank data row, numbered from 1 at the first row under the headings (blank
    rows keep their number, so numbers match what the person sees in their spreadsheet)."""

    def __init__(self, fileobj: IO[bytes], file_format: FileFormat) -> None:
        self._file = fileobj
        self._format = file_format
        self._workbook = None
        self._stream: io.TextIOWrapper | None = None
        if file_format.kind == XLSX:
            self._workbook = _open_workbook(fileobj)
            source: Iterator[list[str]] = _excel_rows(self._workbook)
        else:
            self._stream = _text_stream(fileobj, file_format.encoding)
            source = _csv_reader(self._stream, file_format.delimiter or ",")
        self._source = source
        self.headers: list[str] = []
        for row in source:
            if not _is_blank(row):
                self.headers = _headers_check(row)
                break

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        width = len(self.headers)
        number = 0
        for row in self._source:
            number += 1
            if _is_blank(row):
                continue
            if len(row) < width:
                row = row + [""] * (width - len(row))
            elif len(row) > width:
                row = row[:width]
            yield number, row

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
        if self._stream is not None:
            self._stream.detach()
            self._stream = None

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def table_open(fileobj: IO[bytes], file_format: FileFormat) -> Table:
    return Table(fileobj, file_format)
