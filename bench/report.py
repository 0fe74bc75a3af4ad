"""A results file as Markdown, for the README: `python -m bench.report bench/results/<file>.json [--misses-only]`.

One table per scale: every crawled page (or only those that miss a budget) with its role, median and
p95 with the cache off, median and p95 right after a write, queries, SQL floor and ratio, and the
verdict; then the rating run, the scorecard export, the load test and the list of misses.
"""

import argparse
import json
import sys

from .budgets import MET, MISSED, describe
from .crawl import ROLES

ROLE_LABELS = dict(ROLES)
SCALE_LABELS = {"xuzhou": "徐州", "province": "全省", "tiny": "极小"}


def _ms(value) -> str:
    return "—" if value is None else f"{value:.1f}"


def page_table(result: dict, *, misses_only: bool = False) -> list[str]:
    lines = [
        "| 页面（URL 名） | 角色 | 地址 | 中位数 ms | p95 ms | 写后中位数 ms | 写后 p95 ms | 查询数 "
        "| 下限 ms / 倍数 | 预算 |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in result["pages"]:
        if misses_only and row.get("budget") != MISSED:
            continue
        name = row.get("view_name") or row.get("page")
        if row.get("page") == "baseline":
            name += "（空白页）"
        role = ROLE_LABELS.get(row.get("role"), row.get("role", ""))
        if row.get("error") or "median_ms" not in row:
            error = row.get("error") or "未计时"
            lines.append(f"| {name} | {role} | `{row['url']}` | {error} | | | | | | {row.get('budget', '')} |")
            continue
        floor = "—"
        if row.get("floor_ms") is not None:
            floor = f"{row['floor_ms']:.1f} / {row['ratio_to_floor']:.1f}×"
        queries = f"{row.get('queries', '—')}"
        if row.get("write_queries") not in (None, row.get("queries")):
            queries += f"（写后 {row['write_queries']}）"
        lines.append(
            f"| {name} | {role} | `{row['url']}` | {_ms(row.get('median_ms'))} | {_ms(row.get('p95_ms'))} "
            f"| {_ms(row.get('write_median_ms'))} | {_ms(row.get('write_p95_ms'))} | {queries} | {floor} "
            f"| {row.get('budget', '')} |"
        )
    return lines


def others(result: dict) -> list[str]:
    lines = []

    def verdict(section: dict, key: str) -> str:
        judged = section.get("budgets", {}).get(key)
        return "" if judged is None else f"，{MET if judged['met'] else MISSED}"

    rating = result.get("rating_run")
    if rating and "seconds" in rating:
        lines.append(
            f"- 星级评定（{rating['year']} 年度，{rating['branches']} 个支部）：{rating['seconds']} s"
            + verdict(rating, "rating_run")
        )
    cards = result.get("scorecards")
    if cards and "seconds" in cards:
        lines.append(
            f"- 记分表导出（{cards['year']} 年度，{cards['branches']} 个支部）：{cards['seconds']} s，"
            f"Python 峰值内存 {cards['peak_python_mb']} MB，文件 {cards['file_kb']} KB" + verdict(cards, "scorecards")
        )
    load = result.get("load")
    if load:
        lat = load["latency"]
        think = load.get("think_seconds") or [0, 0]
        judged = load.get("budgets", {})
        met = all(v["met"] for v in judged.values()) if judged else None
        mix = "、".join(f"{ROLE_LABELS.get(role, role)} {n}" for role, n in (load.get("mix") or {}).items())
        writes = load.get("writes") or {}
        wrote = f"登记会议 {writes.get('meeting', 0)} 次、消息标为已读 {writes.get('read', 0)} 次"
        pause = "不停顿" if not think[1] else f"两次之间停 {think[0]:g}–{think[1]:g} s"
        lines.append(
            f"- 压力测试：{load['users']} 个模拟用户（{mix}），每人 {load['requests_per_user']} 次操作，{pause}，"
            f"gunicorn {load['workers']} 个 worker：{load['ok']}/{load['requests']} 个请求成功，"
            f"{wrote}，错误 {load['errors'] or '无'}，{load['throughput_rps']} 请求/秒，"
            f"p50 {lat.get('p50_ms')} ms，p95 {lat.get('p95_ms')} ms，p99 {lat.get('p99_ms')} ms，"
            f"最长 {lat.get('max_ms')} ms" + ("" if met is None else f"，{MET if met else MISSED}")
        )
    return lines


def markdown(report: dict, *, misses_only: bool = False) -> str:
    out = []
    for name, result in report["scales"].items():
        pages = result["pages"]
        met = sum(1 for row in pages if row.get("budget") == MET)
        out.append(f"#### {SCALE_LABELS.get(name, name)}（{len(pages)} 个页面，{met} 个达到全部页面预算）")
        out.append("")
        out.append("预算：" + "；".join(describe(name)) + "。")
        out.append("")
        out += page_table(result, misses_only=misses_only)
        out.append("")
        out += others(result)
        out.append("")
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results")
    parser.add_argument("--misses-only", action="store_true", help="only the pages that miss a budget")
    args = parser.parse_args(argv)
    with open(args.results) as f:
        print(markdown(json.load(f), misses_only=args.misses_only))
    return 0


if __name__ == "__main__":
    sys.exit(main())
