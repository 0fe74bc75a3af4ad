"""Sort keys for Chinese names, so rosters and lists read in the order people expect: names of people by
their pinyin, numbered names (第一党小组, 第十二党小组, 3组) by their number."""

import re

from pypinyin import Style, lazy_pinyin

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMBER = re.compile(r"\d+|[〇零一二两三四五六七八九十百千]+")

# Surnames whose everyday reading differs from the character's most common one.
_SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "朴": "piao", "查": "zha",
    "区": "ou", "覃": "qin", "盖": "ge", "缪": "miao", "翟": "zhai", "乐": "yue",
    "尉": "yu", "万俟": "moqi", "长孙": "zhangsun", "员": "yun", "秘": "bi", "冼": "xian",
    "繁": "po", "召": "shao", "种": "chong", "折": "she", "黑": "he", "宿": "su",
}  # fmt: skip


def name_sort_key(name: str) -> str:
    """A lowercase ASCII key: the pinyin of each character, separated by spaces."""
    name = (name or "").strip()
    if not name:
        return ""
    for surname in sorted(_SURNAME_READINGS, key=len, reverse=True):
        if name.startswith(surname):
            rest = name[len(surname) :]
            return " ".join([_SURNAME_READINGS[surname], *lazy_pinyin(rest, style=Style.NORMAL)]).lower()
    return " ".join(lazy_pinyin(name, style=Style.NORMAL)).lower()


def _chinese_number(text: str) -> int:
    """二十一 → 21, 十二 → 12, 一百零五 → 105, 三 → 3 (up to 9999)."""
    total, digit = 0, None
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        else:
            total += (1 if digit is None else digit) * _UNITS[char]
            digit = None
    return total + (digit or 0)


def number_in_name(name: str) -> int | None:
    """The number a name ends its counting with, in Arabic or Chinese numerals, or None: "第三党小组" → 3.

    The last one, since a group's name may carry its branch's first ("二处第一党小组" → 1). Code point order
    puts 第一, 第三, 第二, 第四 in a row; this number puts them as people count them.
    """
    found = _NUMBER.findall(name or "")
    if not found:
        return None
    text = found[-1]
    return int(text) if text.isdigit() else _chinese_number(text)
