"""The member roster in Excel: one list of columns drives the template, the export and the import.

An export re-imports unchanged, so a roster can be edited offline and brought back. The import
checks every row with the member form's rules before anything is written, then writes all rows
in one transaction, recording the importing user in the history.
"""

from __future__ import annotations

import datetime
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.scope import scope_of
from core.errors import DomainError
from core.excel import FORMULA_PREFIXES, safe_text, xlsx_attachment
from core.validators import mask_id_number, normalize_id_number
from core.workflow import Act
from maintenance.models import ExportKind, record_export

from . import figures
from .access import writable_branches
from .choices import ETHNICITY_CHOICES, Education, Gender, MemberStatus
from .filters import MemberFilter
from .forms.organisation import validate_member_data
from .models import Branch, Member, Organ, PartyGroup
from .permissions import ROSTER_FILES
from .pinyin import name_sort_key
from .selectors import member_queryset

SHEET_TITLE = "党员名册"
GUIDE_TITLE = "填写说明"
OPTIONS_TITLE = "选项"
MAX_ROWS = 20_000
# Declared sizes bound what zipfile will inflate, so this stops a zip bomb before openpyxl reads it.
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
# Extra columns users add (remarks, row numbers) are ignored; this bounds how far a row is read.
MAX_COLUMNS = 60
CHANGE_REASON = Act.IMPORT.because("党员名册")

TEXT, CHOICE, DATE, BOOL, REF = "text", "choice", "date", "bool", "ref"
CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
ACTION_LABELS = {CREATE: "新增", UPDATE: "更新", UNCHANGED: "无变化"}

DATE_HINT = "可填 Excel 日期，或 2020-07-01、2020/7/1、2020.07.01、20200701"


@dataclass(frozen=True)
class Column:
    """One roster column: its Chinese header, the member field it holds and how it is written."""

    label: str
    key: str  # a Member field name, or "branch_organ": the organ of the member's branch
    kind: str = TEXT
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    width: int = 14
    note: str = ""


COLUMNS: list[Column] = [
    Column("姓名", "name", required=True, width=10, note="红色表头的列必须填写"),
    Column("性别", "gender", CHOICE, required=True, choices=tuple(Gender.choices), width=6),
    Column(
        "民族", "ethnicity", CHOICE, required=True, choices=tuple(ETHNICITY_CHOICES), width=10,
        note="填民族全称，如“汉族”",
    ),
    Column("出生日期", "birth_date", DATE, required=True, width=12),
    Column(
        "身份证号", "id_number", width=21,
        note="18位居民身份证号，须与出生日期一致；不填则保留系统中已登记的号码。"
        "导出文件中打码的号码（含 *）表示沿用已登记的号码，只能用于更新已有党员",
    ),
    Column("学历", "education", CHOICE, choices=tuple(Education.choices), width=14),
    Column("所在机关", "branch_organ", REF, required=True, width=24, note="党员所在支部所属机关的全称或简称"),
    Column("所在支部", "branch", REF, required=True, width=18, note="现有支部的名称，须是您有权维护的支部"),
    Column("党小组", "party_group", REF, width=12, note="该支部已有党小组的名称；导入不会新建党小组"),
    Column("工作单位", "organ", REF, width=24, note="机关全称或简称；不填则为所在支部所属机关"),
    Column("职务", "post", width=14),
    Column("联系电话", "phone", width=15, note="11位手机号，或带区号的固定电话，如 0516-83731234"),
    Column("党员状态", "status", CHOICE, required=True, choices=tuple(MemberStatus.choices), width=10),
    Column("入党日期", "joined_on", DATE, required=True, width=12),
    Column("转正日期", "confirmed_on", DATE, width=12, note="正式党员填写；预备党员不填"),
    Column("班子成员", "is_leader", BOOL, width=9, note="机关领导班子成员填“是”，须履行一岗双责；不填为“否”"),
    Column("党务干部", "is_party_worker", BOOL, width=9, note="填“是”或“否”；不填为“否”"),
]  # fmt: skip

LABELS = {c.key: c.label for c in COLUMNS}
# Member attributes an import sets; the order is the order changes are listed in the preview.
MEMBER_FIELDS = [
    "name", "gender", "ethnicity", "birth_date", "id_number", "education", "branch", "party_group",
    "organ", "post", "phone", "status", "joined_on", "confirmed_on", "is_leader", "is_party_worker",
]  # fmt: skip


class RosterFileError(DomainError):
    """The upload is not a roster workbook that can be read; the message is shown to the user."""


class RosterImportError(DomainError):
    """The roster could not be written; nothing was saved. The message is shown to the user."""


@dataclass
class RowResult:
    """What one data row of the workbook will do, and what is wrong with it."""

    row: int
    name: str = ""
    branch_label: str = ""
    birth_date: datetime.date | None = None
    id_display: str = ""
    action: str = ""
    changed: list[str] = field(default_factory=list)  # Member field names an update changes
    errors: list[tuple[str, str]] = field(default_factory=list)
    member: Member | None = None

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, "有错误")

    @property
    def change_labels(self) -> list[str]:
        return [LABELS[f] for f in self.changed]


@dataclass
class RosterPreview:
    """Every data row of an uploaded roster, validated; nothing has been written yet."""

    rows: list[RowResult]

    @property
    def errors(self) -> list[tuple[int, str, str]]:
        """(Excel row number, column label, message) for every problem, in row order."""
        return [(r.row, label, message) for r in self.rows for label, message in r.errors]

    @property
    def has_errors(self) -> bool:
        return any(r.errors for r in self.rows)

    def _count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def n_create(self) -> int:
        return self._count(CREATE)

    @property
    def n_update(self) -> int:
        return self._count(UPDATE)

    @property
    def n_unchanged(self) -> int:
        return self._count(UNCHANGED)

    @property
    def error_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.errors]


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int

    def __str__(self) -> str:
        return f"新增 {self.created} 人，更新 {self.updated} 人，无变化 {self.unchanged} 人"


# --- Writing cells --------------------------------------------------------------------


def _choice_label(column: Column, value: str) -> str:
    return dict(column.choices).get(value, value)


def export_values(member: Member, *, mask_ids: bool) -> list:
    """A member as one row of cell values, in column order (blank cells are None)."""
    values = []
    for column in COLUMNS:
        if column.key == "branch_organ":
            value = member.branch.organ.name
        elif column.key in ("branch", "organ", "party_group"):
            related = getattr(member, column.key)
            value = related.name if related else None
        else:
            value = getattr(member, column.key)
        if column.key == "id_number" and mask_ids:
            value = mask_id_number(value)
        if column.kind == CHOICE:
            value = _choice_label(column, value) if value else None
        elif column.kind == BOOL:
            value = "是" if value else "否"
        if isinstance(value, str):
            value = safe_text(value) or None
        values.append(value)
    return values


def _header_cells(ws) -> list[WriteOnlyCell]:
    cells = []
    for column in COLUMNS:
        cell = WriteOnlyCell(ws, value=column.label)
        cell.font = Font(bold=True, color="FFFFFF" if column.required else "000000")
        cell.fill = PatternFill("solid", fgColor="C00000" if column.required else "F2DCDB")
        cell.alignment = Alignment(horizontal="center")
        cells.append(cell)
    return cells


def _set_widths(ws) -> None:
    for index, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width


def export_members(queryset, *, mask_ids: bool) -> bytes:
    """The members of `queryset` as a roster workbook, in the queryset's order.

    The queryset should `select_related("branch__organ", "organ", "party_group")`: rows are
    streamed with `iterator()`, so the number of queries does not grow with the roster.
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_TITLE)
    _set_widths(ws)
    ws.freeze_panes = "B2"
    ws.append(_header_cells(ws))
    for member in queryset.iterator(chunk_size=1000):
        ws.append(export_values(member, mask_ids=mask_ids))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _allowed_values(column: Column) -> str:
    if column.kind == BOOL:
        return "是、否"
    if column.key == "ethnicity":
        return "56个民族的全称，如汉族、回族、壮族（可在下拉列表中选择）"
    if column.kind == CHOICE:
        return "、".join(label for _, label in column.choices)
    if column.kind == DATE:
        return DATE_HINT
    return ""


EXAMPLE = {
    "name": "张伟", "gender": "男", "ethnicity": "汉族", "birth_date": "1985-03-12",
    "id_number": "320102198503121234（示例，请填写真实号码）", "education": "大学本科",
    "branch_organ": "市发展和改革委员会", "branch": "综合处党支部", "party_group": "第一党小组",
    "organ": "", "post": "副处长", "phone": "13812345678", "status": "正式党员",
    "joined_on": "2008-06-01", "confirmed_on": "2009-06-01", "is_leader": "否", "is_party_worker": "是",
}  # fmt: skip


def build_template(*, branches=None) -> bytes:
    """An empty roster with a guide sheet and drop-downs; `branches` are listed as import targets."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    bold = Font(bold=True)
    for index, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=index, value=column.label)
        cell.font = Font(bold=True, color="FFFFFF" if column.required else "000000")
        cell.fill = PatternFill("solid", fgColor="C00000" if column.required else "F2DCDB")
        cell.alignment = Alignment(horizontal="center")
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = column.width
        if column.key in ("id_number", "phone"):
            # Typed as numbers, 18-digit ID numbers lose their last digits and phones their leading 0.
            ws.column_dimensions[letter].number_format = "@"
        elif column.kind == DATE:
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
    ws.freeze_panes = "B2"

    options = wb.create_sheet(OPTIONS_TITLE)
    options.sheet_state = "hidden"
    last_row = MAX_ROWS + 1
    option_index = 0
    for index, column in enumerate(COLUMNS, start=1):
        if column.kind == BOOL:
            values = ["是", "否"]
        elif column.kind == CHOICE:
            values = [label for _, label in column.choices]
        else:
            continue
        option_index += 1
        option_letter = get_column_letter(option_index)
        options.cell(row=1, column=option_index, value=column.label)
        for row, value in enumerate(values, start=2):
            options.cell(row=row, column=option_index, value=value)
        validation = DataValidation(
            type="list",
            formula1=f"'{OPTIONS_TITLE}'!${option_letter}$2:${option_letter}${len(values) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="输入值无效",
            error=f"请从下拉列表中选择{column.label}",
        )
        letter = get_column_letter(index)
        validation.add(f"{letter}2:{letter}{last_row}")
        ws.add_data_validation(validation)

    guide = wb.create_sheet(GUIDE_TITLE, 1)
    guide.column_dimensions["A"].width = 12
    guide.column_dimensions["B"].width = 8
    guide.column_dimensions["C"].width = 60
    guide.column_dimensions["D"].width = 40
    guide.append(["党员名册填写说明"])
    guide["A1"].font = Font(bold=True, size=14)
    guide.append(
        [
            f"在“{SHEET_TITLE}”工作表第2行起每行填写一名党员，不要修改第1行表头，也不要在该表填写示例。"
            "导入时按身份证号匹配名册中已有的党员（未填身份证号时按所在支部、姓名和出生日期匹配），"
            "匹配到的更新，未匹配到的新增；导入不会删除党员。任何一行有错误时整个文件都不会导入。"
        ]
    )
    guide.merge_cells("A2:D2")
    guide.row_dimensions[2].height = 48
    guide.append([])
    guide.append(["列名", "必填", "填写说明", "可填的值"])
    for cell in guide[guide.max_row]:
        cell.font = bold
    for column in COLUMNS:
        guide.append([column.label, "是" if column.required else "否", column.note, _allowed_values(column)])
    guide.append([])
    guide.append(["示例（仅供参考，请勿复制到名册中）"])
    guide[f"A{guide.max_row}"].font = bold
    guide.append([c.label for c in COLUMNS])
    guide.append([safe_text(EXAMPLE[c.key]) for c in COLUMNS])
    if branches is not None:
        guide.append([])
        guide.append(["您可以导入的支部", None, "所在机关", "所在支部"])
        for cell in guide[guide.max_row]:
            cell.font = bold
        for branch in branches:
            guide.append([None, None, safe_text(branch.organ.name), safe_text(branch.name)])
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- Reading the workbook -------------------------------------------------------------


def _file_size(file) -> int:
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, io.SEEK_END)
        size = file.tell()
    return size


def open_workbook(file):
    """Open an uploaded .xlsx read-only after checking it really is one; RosterFileError otherwise."""
    limit = settings.MAX_UPLOAD_BYTES
    if _file_size(file) > limit:
        raise RosterFileError(f"文件超过 {limit / 1024 / 1024:.0f} MB 的大小上限，请分批导入。")
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterFileError("这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 格式后再上传。")
    not_xlsx = "文件不是 Excel 工作簿（.xlsx），请下载模板填写后上传。"
    if not head.startswith(b"PK\x03\x04"):
        raise RosterFileError(not_xlsx)
    broken = "文件已损坏，无法读取，请在 Excel 中重新保存后上传。"
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            if "[Content_Types].xml" not in names:
                raise RosterFileError(not_xlsx)
            if sum(entry.file_size for entry in entries) > MAX_UNCOMPRESSED_BYTES:
                raise RosterFileError(f"文件内容过大，请分批导入（每个文件不超过 {MAX_ROWS:,} 名党员）。")
            content_types = archive.read("[Content_Types].xml")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise RosterFileError(broken) from exc
    # A .docx, .xlsm or .ods is a zip too; only the xlsx workbook content type is accepted.
    if b"spreadsheetml.sheet.main+xml" not in content_types:
        raise RosterFileError(not_xlsx)
    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl reports a damaged part with many exception types
        raise RosterFileError(broken) from exc


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_rows(file) -> list[tuple[int, dict]]:
    """(Excel row number, {column key: raw cell value}) for each non-empty data row."""
    wb = open_workbook(file)
    try:
        if SHEET_TITLE in wb.sheetnames:
            ws = wb[SHEET_TITLE]
        elif wb.worksheets:
            ws = wb.worksheets[0]
        else:
            raise RosterFileError("工作簿中没有工作表。")
        # The stored sheet size is often wrong in files from other programs; read what is there.
        ws.reset_dimensions()
        result = _sheet_rows(ws)
    finally:
        wb.close()
    if not result:
        raise RosterFileError(f"“{ws.title}”工作表中没有党员数据，请从第2行起填写。")
    return result


def _sheet_rows(ws) -> list[tuple[int, dict]]:
    """The data rows of a read-only sheet. Its XML is parsed only now, row by row, so a part that is
    damaged past its first lines (bad XML, a failed checksum) is reported here as a damaged file."""
    try:
        return _parse_sheet_rows(ws)
    except RosterFileError:
        raise
    except Exception as exc:  # openpyxl and the XML parser report damage with many exception types
        raise RosterFileError("文件已损坏，无法读取，请在 Excel 中重新保存后上传。") from exc


def _parse_sheet_rows(ws) -> list[tuple[int, dict]]:
    """Header check, then each non-blank row keyed by column, up to MAX_ROWS."""
    rows = ws.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True)
    header = next(rows, None) or ()
    positions: dict[str, int] = {}
    for index, value in enumerate(header):
        label = "" if value is None else str(value).strip()
        if label in LABELS.values():
            if label in positions:
                raise RosterFileError(f"表头中“{label}”列出现了两次，请使用下载的模板填写。")
            positions[label] = index
    missing = [c.label for c in COLUMNS if c.label not in positions]
    if missing:
        raise RosterFileError(f"第1行表头缺少以下列：{'、'.join(missing)}。请使用下载的模板填写，不要修改表头。")
    result = []
    for excel_row, values in enumerate(rows, start=2):
        cells = {c.key: values[positions[c.label]] for c in COLUMNS}
        if all(_is_blank(v) for v in cells.values()):
            continue
        if len(result) >= MAX_ROWS:
            raise RosterFileError(f"数据超过 {MAX_ROWS:,} 行，请拆分成多个文件分批导入。")
        result.append((excel_row, cells))
    return result


# --- Cell values ----------------------------------------------------------------------

_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_PARENS = str.maketrans({"(": "（", ")": "）"})


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value).strip()
    # Undo the export's formula guard, so that an exported roster imports unchanged.
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_PREFIXES):
        text = text[1:]
    return text


def _date(value) -> datetime.date | None:
    if _is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 10_000_000 <= value <= 99_999_999:
            value = str(int(value))  # 20200701 typed into a general-format cell
        elif 1 <= value < 2_958_466:
            return from_excel(value).date()  # a date serial whose cell lost its date format
        else:
            raise ValueError
    text = str(value).strip()
    match = _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text)
    if not match:
        raise ValueError
    year, month, day = (int(part) for part in match.groups())
    return datetime.date(year, month, day)


def _lookup(column: Column) -> dict[str, str]:
    table = {}
    for value, label in column.choices:
        table[label.translate(_PARENS)] = value
        if column.key == "ethnicity" and len(label) > 2:
            table.setdefault(label.removesuffix("族"), value)  # 汉 for 汉族, 蒙古 for 蒙古族
    return table


_CHOICE_LOOKUPS = {c.key: _lookup(c) for c in COLUMNS if c.kind == CHOICE}
_BOOLS = {"是": True, "否": False}


def _convert(column: Column, raw):
    """The Python value of one cell; ValueError carries the message for the user."""
    if column.kind == DATE:
        try:
            return _date(raw)
        except ValueError:
            raise ValueError(f"无法识别的日期“{_text(raw)}”，{DATE_HINT}。") from None
    text = _text(raw)
    if column.kind == CHOICE:
        if not text:
            return ""
        value = _CHOICE_LOOKUPS[column.key].get(text.replace(" ", "").translate(_PARENS))
        if value is None:
            if column.key == "ethnicity":
                raise ValueError(f"“{text}”不是有效的民族名称，请填写全称，如“汉族”。")
            raise ValueError(f"“{text}”不是有效的{column.label}，可填：{_allowed_values(column)}。")
        return value
    if column.kind == BOOL:
        if isinstance(raw, bool):
            return raw
        if not text:
            return False
        if text not in _BOOLS:
            raise ValueError(f"请填写“是”或“否”，而不是“{text}”。")
        return _BOOLS[text]
    if column.key == "id_number":
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            raise ValueError("身份证号被 Excel 当作数字保存，末几位可能已丢失；请把该列设为文本格式后重新填写。")
        return normalize_id_number(text)
    return text


# --- Validation -----------------------------------------------------------------------


class _RowErrors:
    """Collects errors by field, with the interface `validate_member_data` expects of a form."""

    def __init__(self):
        self.by_field: dict[str, list[str]] = {}

    def add_error(self, field_name: str | None, message) -> None:
        if isinstance(message, ValidationError):
            for name, messages in message.message_dict.items():
                for text in messages:
                    self.add_error(None if name == NON_FIELD_ERRORS else name, text)
            return
        self.by_field.setdefault(field_name or "", []).append(str(message))

    def has(self, field_name: str) -> bool:
        return field_name in self.by_field

    def as_list(self) -> list[tuple[str, str]]:
        order = {c.key: i for i, c in enumerate(COLUMNS)}
        keys = sorted(self.by_field, key=lambda k: order.get(k, len(order)))
        return [(LABELS.get(k, ""), text) for k in keys for text in self.by_field[k]]


class _Roster:
    """What the import is checked against, loaded in a fixed number of queries."""

    def __init__(self, user, rows: list[tuple[int, dict]]):
        if user is None or scope_of(user).is_gongwei:
            branches = Branch.objects.active().select_related("organ")
            organs = Organ.objects.all()
        else:
            branches = writable_branches(user)
            organs = Organ.objects.visible_to(user)
        self.branches: dict[tuple[str, str], Branch] = {}
        for branch in branches:
            self.branches[(branch.organ.name, branch.name)] = branch
        for branch in list(self.branches.values()):
            if branch.organ.short_name:
                self.branches.setdefault((branch.organ.short_name, branch.name), branch)
        self.writable_ids = {b.pk for b in self.branches.values()}
        self.organs: dict[str, Organ] = {o.name: o for o in organs}
        for organ in list(self.organs.values()):
            if organ.short_name:
                self.organs.setdefault(organ.short_name, organ)

        named = {self.branch(_text(c["branch_organ"]), _text(c["branch"])) for _, c in rows} - {None}
        named_ids = [b.pk for b in named]
        self.groups = {(g.branch_id, g.name): g for g in PartyGroup.objects.filter(branch_id__in=named_ids)}
        id_numbers = set()
        for _, cells in rows:
            raw = cells["id_number"]
            if isinstance(raw, str) and "*" not in raw and normalize_id_number(raw):
                id_numbers.add(normalize_id_number(raw))
        loaded: dict[int, Member] = {}
        id_list = sorted(id_numbers)
        for start in range(0, len(id_list), 1000):
            for member in Member.objects.filter(id_number__in=id_list[start : start + 1000]).select_related("organ"):
                loaded[member.pk] = member
        for member in Member.objects.filter(branch_id__in=named_ids).select_related("organ"):
            loaded.setdefault(member.pk, member)
        self.by_id = {m.id_number: m for m in loaded.values() if m.id_number}
        self.by_person: dict[tuple, list[Member]] = {}
        for member in loaded.values():
            self.by_person.setdefault((member.branch_id, member.name, member.birth_date), []).append(member)

    def branch(self, organ_name: str, branch_name: str) -> Branch | None:
        return self.branches.get((organ_name, branch_name))


@dataclass
class _Seen:
    """Keys of the rows read so far, to report a repeated member on the later row."""

    ids: dict[str, int] = field(default_factory=dict)
    people: dict[tuple, int] = field(default_factory=dict)
    members: dict[int, int] = field(default_factory=dict)


def _match(values: dict, branch: Branch | None, roster: _Roster, errors: _RowErrors) -> tuple[Member | None, str]:
    """The member on the roster this row describes (or None for a new one), and its ID number.

    By ID number when one is given; otherwise by branch, name and birth date. A masked number
    (from an export) stands for the stored one and is only accepted for a member found that way.
    """
    name, birth = values.get("name", ""), values.get("birth_date")
    id_number = values.get("id_number", "")
    masked = "*" in id_number
    existing = None
    if id_number and not masked:
        existing = roster.by_id.get(id_number)
        if existing is not None and existing.branch_id not in roster.writable_ids:
            errors.add_error("id_number", "该身份证号已登记在其他党员名下。")
            existing = None
    if existing is None and branch is not None and name and birth:
        candidates = roster.by_person.get((branch.pk, name, birth), [])
        if id_number and not masked:
            # A stored number that differs means another person; a blank one is being filled in.
            candidates = [m for m in candidates if not m.id_number]
        if len(candidates) > 1:
            errors.add_error("name", "该支部有多名同名且出生日期相同的党员，请填写身份证号加以区分。")
        elif candidates:
            existing = candidates[0]
    if masked:
        if existing is None:
            errors.add_error(
                "id_number", "身份证号已打码（含 *），只能用于更新名册中已有的党员；新增党员请填写完整的身份证号。"
            )
        elif mask_id_number(existing.id_number) != id_number:
            errors.add_error("id_number", "打码的身份证号与名册中已登记的号码不一致，请填写完整的身份证号。")
        id_number = existing.id_number if existing is not None else ""
    elif not id_number and existing is not None:
        id_number = existing.id_number
    return existing, id_number


def _check_row(excel_row: int, cells: dict, roster: _Roster, seen: _Seen) -> RowResult:
    errors = _RowErrors()
    values: dict = {}
    for column in COLUMNS:
        try:
            value = _convert(column, cells[column.key])
        except ValueError as exc:
            errors.add_error(column.key, str(exc))
            continue
        if column.required and value in (None, ""):
            errors.add_error(column.key, "必填，不能为空。")
            continue
        values[column.key] = value

    name, birth = values.get("name", ""), values.get("birth_date")
    result = RowResult(row=excel_row, name=name or _text(cells["name"]), birth_date=birth)
    result.branch_label = " · ".join(p for p in (_text(cells["branch_organ"]), _text(cells["branch"])) if p)

    branch = None
    if "branch_organ" in values and "branch" in values:
        branch = roster.branch(values["branch_organ"], values["branch"])
        if branch is None:
            # One message whether the branch is missing or someone else's, so nothing leaks.
            errors.add_error("branch", "无权向该支部导入，或该支部不存在。")
    group = None
    if values.get("party_group") and branch is not None:
        group = roster.groups.get((branch.pk, values["party_group"]))
        if group is None:
            errors.add_error("party_group", f"该支部没有名为“{values['party_group']}”的党小组（导入不会新建党小组）。")

    existing, id_number = _match(values, branch, roster, errors)

    organ = branch.organ if branch else None
    if values.get("organ"):
        organ = roster.organs.get(values["organ"])
        if (
            organ is None
            and existing is not None
            and values["organ"] in (existing.organ.name, existing.organ.short_name)
        ):
            organ = existing.organ  # outside the user's organs, but kept as it was, as in an export
        if organ is None:
            errors.add_error("organ", f"工作单位“{values['organ']}”不存在或不在您的管理范围内，请填写机关全称。")
    result.id_display = mask_id_number(id_number) if id_number else values.get("id_number", "")

    # A repeated member is reported on the later row.
    if id_number and "id_number" in values:
        first = seen.ids.setdefault(id_number, excel_row)
        if first != excel_row:
            errors.add_error("id_number", f"与第 {first} 行的身份证号重复。")
    if branch is not None and name and birth:
        first = seen.people.setdefault((branch.pk, name, birth), excel_row)
        if first != excel_row:
            errors.add_error("name", f"与第 {first} 行是同一支部中同名、同出生日期的党员，重复。")
    if existing is not None:
        first = seen.members.setdefault(existing.pk, excel_row)
        if first != excel_row and not errors.has("name") and not errors.has("id_number"):
            errors.add_error("name", f"与第 {first} 行对应名册中的同一名党员，重复。")

    # The model's own field rules (lengths, choices, ID checksum, phone), then the form's cross-field rules.
    related = {"branch": branch, "organ": organ, "party_group": group}
    candidate = Member(
        **{k: v for k, v in related.items() if v is not None},
        name=name,
        gender=values.get("gender", ""),
        ethnicity=values.get("ethnicity", ""),
        birth_date=birth,
        id_number=id_number,
        education=values.get("education", ""),
        post=values.get("post", ""),
        phone=values.get("phone", ""),
        status=values.get("status", ""),
        joined_on=values.get("joined_on"),
        confirmed_on=values.get("confirmed_on"),
        is_leader=values.get("is_leader", False),
        is_party_worker=values.get("is_party_worker", False),
    )
    unchecked = [c.key for c in COLUMNS if c.key not in values or errors.has(c.key)]
    if "*" in values.get("id_number", ""):
        unchecked.append("id_number")  # the stored number stands in for it and was checked when stored
    try:
        candidate.full_clean(
            exclude=[*unchecked, "branch", "organ", "party_group", "user"],
            validate_unique=False,  # the roster lookups above answer uniqueness without a query per row
            validate_constraints=False,  # validate_member_data states the check constraints in Chinese
        )
    except ValidationError as exc:
        errors.add_error(None, exc)
    validate_member_data(
        errors,
        {
            "birth_date": birth,
            "joined_on": values.get("joined_on"),
            "confirmed_on": values.get("confirmed_on"),
            "status": values.get("status"),
            "id_number": id_number if "id_number" in values else "",
            "party_group": group,
            "branch": branch,
        },
    )

    result.errors = errors.as_list()
    if result.errors:
        return result
    if existing is None:
        result.action, result.member = CREATE, candidate
        return result
    changed = [f for f in MEMBER_FIELDS if _attr(existing, f) != _attr(candidate, f)]
    if not changed:
        result.action = UNCHANGED
        return result
    for name_ in changed:
        setattr(existing, name_, getattr(candidate, name_))
    result.action, result.member, result.changed = UPDATE, existing, changed
    return result


def _attr(member: Member, field_name: str):
    return getattr(member, Member._meta.get_field(field_name).attname)


def parse_roster(file, *, user) -> RosterPreview:
    """Read and check every row of an uploaded roster, writing nothing.

    `user` is the importing account (rows are limited to the branches it may write); None acts
    for the system with the 工委's reach, as the management command does without --user.
    Raises RosterFileError when the file is not a readable roster at all.
    """
    with translation.override(settings.LANGUAGE_CODE):
        rows = _read_rows(file)
        roster = _Roster(user, rows)
        seen = _Seen()
        return RosterPreview([_check_row(excel_row, cells, roster, seen) for excel_row, cells in rows])


def import_roster(source, *, user) -> ImportResult:
    """Write a checked roster (a RosterPreview, or a file to check first) in one transaction.

    Nothing is written when any row has an error (RosterImportError).
    """
    preview = source if isinstance(source, RosterPreview) else parse_roster(source, user=user)
    if preview.has_errors:
        raise RosterImportError(f"名册中有 {len(preview.errors)} 处错误，未导入任何数据。请修改后重新上传。")
    creates = [r.member for r in preview.rows if r.action == CREATE]
    updates = [r.member for r in preview.rows if r.action == UPDATE]
    changed_fields = {f for r in preview.rows if r.action == UPDATE for f in r.changed}
    now = timezone.now()
    for member in (*creates, *updates):
        # Bulk writes skip Member.save(), which keeps the pinyin sort key.
        member.name_pinyin = name_sort_key(member.name)
        member._history_user = user
    for member in updates:
        member.updated_at = now
    try:
        with transaction.atomic():
            # The branches members leave, as stored before the update, and those they join or stay in.
            touched = {m.branch_id for m in (*creates, *updates)}
            keys = sorted(m.pk for m in updates)
            for start in range(0, len(keys), 500):
                stored = Member.objects.filter(pk__in=keys[start : start + 500]).select_for_update(no_key=True)
                touched.update(stored.order_by("pk").values_list("branch_id", flat=True))
            if creates:
                bulk_create_with_history(
                    creates, Member, batch_size=500, default_user=user, default_change_reason=CHANGE_REASON
                )
            if updates:
                fields = [f for f in MEMBER_FIELDS if f in changed_fields] + ["name_pinyin", "updated_at"]
                bulk_update_with_history(
                    updates, Member, fields, batch_size=500, default_user=user, default_change_reason=CHANGE_REASON
                )
            figures.refresh(touched)
    except IntegrityError as exc:
        raise RosterImportError(
            "保存时与名册中的现有数据冲突（可能有人同时修改了名册），未导入任何数据。请重新上传预览。"
        ) from exc
    return ImportResult(created=len(creates), updated=len(updates), unchanged=preview.n_unchanged)


def export_response(request) -> HttpResponse:
    """Exactly the rows of the member list for the same query string, every page, in pinyin order, as the
    page's export and the API's `?format=xlsx` both answer; personal data leaving the portal is logged."""
    ROSTER_FILES.require(request.user)
    filterset = MemberFilter(request.GET, queryset=member_queryset(request.user), user=request.user)
    mask_ids = not scope_of(request.user).can_see_full_id_numbers()
    members = filterset.qs.order_by("name_pinyin", "pk")
    content = export_members(members, mask_ids=mask_ids)
    record_export(request, kind=ExportKind.ROSTER, row_count=members.count(), full_id_numbers=not mask_ids)
    today = timezone.localdate()
    return xlsx_attachment(content, f"党员名册-{today:%Y%m%d}.xlsx", f"roster-{today:%Y%m%d}.xlsx")
