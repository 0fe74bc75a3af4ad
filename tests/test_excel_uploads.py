"""Hostile Excel files sent to the roster import: each is refused with a clear Chinese message and
nothing is written (no member, no stored upload)."""

import io
import re
import zipfile

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from branches import roster
from branches.models import Member
from branches.roster import COLUMNS, RosterFileError, parse_roster
from branches.views.roster import UPLOAD_DIR

pytestmark = pytest.mark.django_db

SHEET = "xl/worksheets/sheet1.xml"
LAUGHS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def good_roster() -> bytes:
    """A small well-formed roster workbook (header and one row) to be tampered with."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = roster.SHEET_TITLE
    ws.append([c.label for c in COLUMNS])
    ws.append(["张三"] + [None] * (len(COLUMNS) - 1))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def replace_part(content: bytes, name: str, write) -> bytes:
    """The workbook with part `name` rewritten by `write(stream)` (streamed: no huge bytes in memory)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == name:
                part = zipfile.ZipInfo(name)
                part.compress_type = zipfile.ZIP_DEFLATED  # ZipInfo defaults to STORED
                with target.open(part, "w", force_zip64=True) as stream:
                    write(stream)
            else:
                target.writestr(info, source.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def zip_bomb() -> bytes:
    """A sheet that inflates to ~150 MB of blank rows from a few hundred KB."""

    def write(stream):
        stream.write(
            b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        )
        chunk = b"<row/>" * (1024 * 1024 // 6)
        for _ in range(150):
            stream.write(chunk)
        stream.write(b"</sheetData></worksheet>")

    return replace_part(good_roster(), SHEET, write)


def entity_expansion(part: str) -> bytes:
    """Billion laughs in `part`, with the part's own content after the DTD."""
    original = zipfile.ZipFile(io.BytesIO(good_roster())).read(part).decode()
    body = re.sub(r"^<\?xml[^>]*\?>\s*", "", original)
    # Put the bomb where the parser must expand it: in the first cell's inline text or the root.
    body = body.replace(
        "<sheetData>", "<sheetData><row r='1000'><c r='A1000' t='inlineStr'><is><t>&lol9;</t></is></c></row>", 1
    )
    poisoned = (LAUGHS + body).encode()
    if "&lol9;" not in body:
        poisoned = (LAUGHS + body.replace(">", ">&lol9;", 1)).encode()
    return replace_part(good_roster(), part, lambda stream: stream.write(poisoned))


def broken_sheet_tail() -> bytes:
    """Well-formed at the start (so the workbook opens) and broken further down the sheet."""
    sheet = zipfile.ZipFile(io.BytesIO(good_roster())).read(SHEET)
    broken = sheet.replace(b"</sheetData>", b"<row r='3'><c r='A3'><v>1</v></c><row></sheetData>")
    return replace_part(good_roster(), SHEET, lambda stream: stream.write(broken))


def bad_checksum() -> bytes:
    """The sheet's CRC-32 no longer matches its content (a damaged download)."""
    content = good_roster()
    crc = zipfile.ZipFile(io.BytesIO(content)).getinfo(SHEET).CRC.to_bytes(4, "little")
    assert content.count(crc) == 2  # the local header and the central directory
    return content.replace(crc, bytes(b ^ 0xFF for b in crc))


def malformed_zip() -> bytes:
    return b"PK\x03\x04" + b"\x00" * 26 + b"not really a zip archive" * 10


def truncated() -> bytes:
    content = good_roster()
    return content[: len(content) // 2]


HOSTILE = {
    "zip-bomb": zip_bomb,
    "malformed-zip": malformed_zip,
    "truncated": truncated,
    "broken-sheet-tail": broken_sheet_tail,
    "bad-checksum": bad_checksum,
    "billion-laughs-sheet": lambda: entity_expansion(SHEET),
    "billion-laughs-workbook": lambda: entity_expansion("xl/workbook.xml"),
}


def test_the_good_roster_is_read():
    """The tampered files start from a roster that parses, so a refusal is due to the tampering."""
    content = good_roster()
    rows = roster._read_rows(io.BytesIO(content))
    assert rows and rows[0][1]["name"] == "张三"


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_file_is_refused_with_a_chinese_message(kind):
    content = HOSTILE[kind]()
    assert len(content) < 2 * 1024 * 1024  # small upload, well within MAX_UPLOAD_BYTES

    with pytest.raises(RosterFileError) as caught:
        parse_roster(io.BytesIO(content), user=None)

    assert CHINESE.search(str(caught.value)), str(caught.value)


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_upload_page_says_why_and_writes_nothing(client_for, secretary_of_branch_a, kind, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    client = client_for(secretary_of_branch_a)
    before = Member.objects.count()

    upload = SimpleUploadedFile("名册.xlsx", HOSTILE[kind](), content_type="application/octet-stream")
    response = client.post(reverse("branches:roster_import"), {"file": upload})

    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert errors and all(CHINESE.search(e) for e in errors), errors
    assert Member.objects.count() == before
    assert not default_storage.exists(UPLOAD_DIR) or not default_storage.listdir(UPLOAD_DIR)[1]
