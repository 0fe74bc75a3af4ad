"""The performance budgets (issue 14), as data, and how a result is judged against them.

Budgets are measured on the project's 2-core machine, one run. Each scale lists its budgets; a page
row is judged against every page budget of its scale, and the row is 达到 only when it meets them all.
A page that answered an error, or was not measured, misses. The run's summary lists every miss.
"""

from dataclasses import dataclass

MET, MISSED = "达到", "未达到"


@dataclass(frozen=True)
class Budget:
    """One limit: `field` of a result (a page row, or a section such as the rating run) ≤ `limit`.

    `pages` narrows a page budget to some URL names (None: every crawled page); `floor_over` applies a
    ratio budget only where the page's SQL floor is above that many milliseconds.
    """

    key: str
    label: str
    field: str
    limit: float
    unit: str
    section: str = "pages"  # "pages", "rating_run", "scorecards" or "load"
    pages: tuple[str, ...] | None = None
    floor_over: float | None = None


BUDGETS: dict[str, list[Budget]] = {
    "xuzhou": [
        Budget("cache_off", "缓存关闭时中位数", "median_ms", 150, "ms"),
        Budget("after_write", "写后中位数", "write_median_ms", 150, "ms"),
        Budget("floor_ratio", "SQL 下限倍数（下限 >20 ms 时）", "ratio_to_floor", 3, "×", floor_over=20),
        Budget("rating_run", "星级评定", "seconds", 5, "s", section="rating_run"),
        Budget("scorecards", "记分表导出", "seconds", 5, "s", section="scorecards"),
        Budget("load_p95", "压力测试 p95", "p95_ms", 1000, "ms", section="load"),
        Budget("load_errors", "压力测试错误数", "error_count", 0, "个", section="load"),
    ],
    "province": [
        Budget("cache_off", "缓存关闭时中位数", "median_ms", 300, "ms"),
        Budget("dashboard_after_write", "看板写后中位数", "write_median_ms", 500, "ms", pages=("portal:dashboard",)),
        Budget("rating_run", "星级评定", "seconds", 5, "s", section="rating_run"),
        Budget("scorecards", "记分表导出", "seconds", 5, "s", section="scorecards"),
        Budget("load_p95", "压力测试 p95", "p95_ms", 1000, "ms", section="load"),
        Budget("load_errors", "压力测试错误数", "error_count", 0, "个", section="load"),
    ],
}


def _value(section: dict, budget: Budget):
    if budget.section == "load":
        if budget.field == "error_count":
            return sum(section.get("errors", {}).values())
        return section.get("latency", {}).get(budget.field)
    return section.get(budget.field)


def _applies(row: dict, budget: Budget) -> bool:
    if budget.pages is not None and row.get("view_name") not in budget.pages:
        return False
    return budget.floor_over is None or (row.get("floor_ms") or 0) > budget.floor_over


def _describe(where: str, budget: Budget, value) -> str:
    if value is None:
        return f"{where}: {budget.label} 未测得（预算 ≤{budget.limit:g} {budget.unit}）"
    return f"{where}: {budget.label} {value:g} {budget.unit} > {budget.limit:g} {budget.unit}"


def evaluate(scale: str, result: dict) -> list[str]:
    """Mark each page row (`budget` 达到/未达到, `misses`) and each judged section; returns every miss in words.

    Never raises on a slow or failed page: that is what it reports.
    """
    budgets = BUDGETS.get(scale, [])
    page_budgets = [b for b in budgets if b.section == "pages"]
    misses: list[str] = []
    for row in result.get("pages", []):
        where = f"{row.get('view_name') or row.get('page')} {row.get('url', '')}（{row.get('role', '')}）"
        row_misses = []
        if row.get("error"):
            row_misses.append(f"{where}: {row['error']}")
        else:
            for budget in page_budgets:
                if not _applies(row, budget):
                    continue
                value = row.get(budget.field)
                if value is None or value > budget.limit:
                    row_misses.append(_describe(where, budget, value))
        row["misses"] = row_misses
        row["budget"] = MISSED if row_misses else MET
        misses += row_misses
    for budget in budgets:
        if budget.section == "pages":
            continue
        section = result.get(budget.section)
        if section is None:  # not run this time (e.g. no load test on this scale)
            continue
        value = _value(section, budget)
        met = value is not None and value <= budget.limit
        section.setdefault("budgets", {})[budget.key] = {"limit": budget.limit, "value": value, "met": met}
        if not met:
            misses.append(_describe(budget.label if budget.section != "load" else "压力测试", budget, value))
    return misses


def describe(scale: str) -> list[str]:
    """The scale's budgets in words, for the printed report."""
    lines = []
    for b in BUDGETS.get(scale, []):
        scope = "每个页面" if b.section == "pages" and b.pages is None else (", ".join(b.pages or ()) or b.section)
        extra = f"（下限 >{b.floor_over:g} ms 的页面）" if b.floor_over else ""
        lines.append(f"{scope} {b.label} ≤{b.limit:g} {b.unit}{extra}")
    return lines
