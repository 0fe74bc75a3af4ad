"""Validation of personal identifiers on the roster."""

import datetime
import re

from django.core.exceptions import ValidationError

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def id_number_error(value: str) -> str | None:
    """The reason an 18-digit resident ID number (GB 11643) is invalid, or None if it is valid."""
    value = normalize_id_number(value)
    if not _ID_RE.match(value):
        return "身份证号应为18位，前17位为数字，末位为数字或X"
    try:
        datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "身份证号中的出生日期无效"
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        return "身份证号校验位不正确"
    return None


def validate_id_number(value: str) -> None:
    error = id_number_error(value)
    if error:
        raise ValidationError(error, code="id_number")


def id_number_birth_date(value: str) -> datetime.date:
    value = normalize_id_number(value)
    return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def mask_id_number(value: str) -> str:
    """Keep the region prefix and the last four characters: enough to tell two people apart."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def validate_phone(value: str) -> None:
    if value and not _PHONE_RE.match(value.strip()):
        raise ValidationError("请输入11位手机号或带区号的固定电话，如 0516-83731234", code="phone")
