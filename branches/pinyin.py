"""Pinyin sort keys for Chinese names, so rosters read in the order people expect."""

from pypinyin import Style, lazy_pinyin

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
