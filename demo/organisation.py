"""A deterministic demo organisation for `manage.py seed_demo`.

`plan_demo` builds unsaved model instances from a seed without touching the database, so the same
seed and reference date always give the same organisation; `write_demo` stores a plan with bulk
inserts and `create_demo_accounts` adds one login per role.
"""

import datetime
import itertools
import random
import unicodedata
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import Role, RoleAssignment
from accounts.services import record_grants
from branches import figures
from branches.choices import BranchKind, CommitteeKind, CommitteePost, Education, Gender, MemberStatus
from branches.models import (
    Branch,
    CommitteeMember,
    CommitteeTerm,
    Member,
    Organ,
    OrganisationRules,
    PartyGroup,
    add_years,
)
from branches.pinyin import name_sort_key, number_in_name

DEMO_PASSWORD = "dangjian@2026"
DEFAULT_ORGANS = 12
DEFAULT_BRANCHES = 60
DEFAULT_MEMBERS_PER_BRANCH = 25
DEFAULT_SEED = 2026
BATCH_SIZE = 2000
MIN_MEMBERS_PER_BRANCH = 3

# --- Data ------------------------------------------------------------------------------------

# (name, short name, relative size). The first entries are the ones a default run uses.
ORGANS = [
    ("市发展和改革委员会", "市发改委", 1.6),
    ("市财政局", "市财政局", 1.4),
    ("市教育局", "市教育局", 1.3),
    ("市公安局", "市公安局", 3.0),
    ("市民政局", "市民政局", 0.9),
    ("市司法局", "市司法局", 1.0),
    ("市人力资源和社会保障局", "市人社局", 1.3),
    ("市自然资源和规划局", "市资源规划局", 1.4),
    ("市生态环境局", "市生态环境局", 1.0),
    ("市住房和城乡建设局", "市住建局", 1.3),
    ("市交通运输局", "市交通运输局", 1.2),
    ("市水务局", "市水务局", 0.9),
    ("市农业农村局", "市农业农村局", 1.1),
    ("市商务局", "市商务局", 0.8),
    ("市文化广电和旅游局", "市文广旅局", 0.9),
    ("市卫生健康委员会", "市卫健委", 1.2),
    ("市应急管理局", "市应急管理局", 0.8),
    ("市审计局", "市审计局", 0.7),
    ("市市场监督管理局", "市市场监管局", 1.5),
    ("市统计局", "市统计局", 0.6),
    ("市医疗保障局", "市医保局", 0.7),
    ("市行政审批局", "市行政审批局", 0.8),
    ("市政府办公室", "市政府办", 0.9),
    ("市委办公室", "市委办", 0.8),
    ("市纪委监委机关", "市纪委监委", 1.2),
    ("市委组织部", "市委组织部", 0.8),
    ("市委宣传部", "市委宣传部", 0.7),
    ("市委统战部", "市委统战部", 0.6),
    ("市委政法委员会", "市委政法委", 0.5),
    ("市委政策研究室", "市委研究室", 0.4),
    ("市委机构编制委员会办公室", "市委编办", 0.4),
    ("市委网络安全和信息化委员会办公室", "市委网信办", 0.4),
    ("市委老干部局", "市委老干部局", 0.4),
    ("市委党校", "市委党校", 0.6),
    ("市人大常委会机关", "市人大机关", 0.7),
    ("市政协机关", "市政协机关", 0.7),
    ("市中级人民法院", "市中院", 1.5),
    ("市人民检察院", "市检察院", 1.2),
    ("市科学技术局", "市科技局", 0.6),
    ("市工业和信息化局", "市工信局", 0.9),
    ("市民族宗教事务局", "市民宗局", 0.3),
    ("市城市管理局", "市城管局", 1.2),
    ("市退役军人事务局", "市退役军人局", 0.5),
    ("市国有资产监督管理委员会", "市国资委", 0.6),
    ("市体育局", "市体育局", 0.5),
    ("市地方金融监督管理局", "市金融监管局", 0.4),
    ("市信访局", "市信访局", 0.5),
    ("市机关事务管理局", "市机关事务局", 0.6),
    ("市数据局", "市数据局", 0.4),
    ("市政务服务管理办公室", "市政务办", 0.5),
    ("市人民防空办公室", "市人防办", 0.4),
    ("市住房公积金管理中心", "市公积金中心", 0.6),
    ("市档案馆", "市档案馆", 0.3),
    ("市地方志办公室", "市地方志办", 0.2),
    ("市总工会", "市总工会", 0.5),
    ("共青团徐州市委员会", "团市委", 0.3),
    ("市妇女联合会", "市妇联", 0.3),
    ("市科学技术协会", "市科协", 0.3),
    ("市残疾人联合会", "市残联", 0.3),
    ("市文学艺术界联合会", "市文联", 0.2),
    ("市社会科学界联合会", "市社科联", 0.2),
    ("市工商业联合会", "市工商联", 0.3),
    ("市红十字会", "市红十字会", 0.2),
    ("市供销合作总社", "市供销总社", 0.4),
    ("市气象局", "市气象局", 0.3),
    ("市社会保险基金管理中心", "市社保中心", 0.5),
    ("市公共资源交易中心", "市公共资源交易中心", 0.3),
    ("市不动产登记中心", "市不动产登记中心", 0.3),
    ("市疾病预防控制中心", "市疾控中心", 0.6),
    ("市公路事业发展中心", "市公路中心", 0.5),
    ("市港航事业发展中心", "市港航中心", 0.4),
    ("市市政设施管理中心", "市市政设施中心", 0.4),
    ("市园林绿化管理中心", "市园林中心", 0.3),
    ("市环境卫生管理中心", "市环卫中心", 0.4),
    ("市教育考试院", "市教育考试院", 0.2),
    ("市广播电视总台", "市广电总台", 0.6),
    ("市图书馆", "市图书馆", 0.2),
    ("市博物馆", "市博物馆", 0.2),
    ("市产品质量监督检验中心", "市质检中心", 0.3),
    ("市农业技术推广中心", "市农技中心", 0.3),
    ("市动物疫病预防控制中心", "市动物疫控中心", 0.2),
    ("市生态环境监测站", "市环境监测站", 0.3),
    ("市急救中心", "市急救中心", 0.3),
    ("市公共就业人才服务中心", "市人才服务中心", 0.3),
    ("市劳动人事争议仲裁院", "市仲裁院", 0.2),
    ("市法律援助中心", "市法援中心", 0.2),
    ("市公证处", "市公证处", 0.2),
    ("市价格认证中心", "市价格认证中心", 0.2),
    ("市社会信用信息中心", "市信用中心", 0.2),
    ("市青少年宫", "市青少年宫", 0.2),
]
EXTRA_ORGAN_WEIGHT = 0.3

GENERIC_DEPARTMENTS = ["综合处", "政策法规处", "人事处", "计划财务处", "督查室", "机关党委办公室", "信息中心", "研究室"]

# Internal departments of the organs that have well-known ones; others use the generic list.
DEPARTMENTS = {
    "市发展和改革委员会": [
        "规划处", "投资处", "价格处", "产业发展处", "经济运行处", "社会发展处", "重大项目处", "能源处",
        "农村经济处", "区域协调发展处", "营商环境处",
    ],
    "市财政局": [
        "预算处", "国库处", "税政处", "经济建设处", "社会保障处", "行政政法处", "教科文处", "会计处",
        "政府采购监管处", "农业农村处",
    ],
    "市教育局": [
        "基础教育处", "职业教育处", "教师工作处", "体育卫生艺术处", "督导室", "学生资助管理中心", "发展规划处",
    ],
    "市公安局": [
        "指挥中心", "治安支队", "刑警支队", "交警支队", "经侦支队", "网安支队", "出入境管理支队", "法制支队",
        "特警支队", "禁毒支队", "技侦支队", "监管支队", "警务保障处", "政治处", "督察支队", "食药环侦支队",
    ],
    "市民政局": ["社会救助处", "养老服务处", "社会组织管理处", "区划地名处", "儿童福利处", "社会事务处"],
    "市司法局": ["法治督察处", "行政复议处", "律师工作处", "公共法律服务处", "社区矫正处", "普法与依法治理处"],
    "市人力资源和社会保障局": [
        "就业促进处", "人才开发处", "职业能力建设处", "工资福利处", "养老保险处", "劳动关系处", "劳动保障监察处",
    ],
    "市自然资源和规划局": [
        "国土空间规划处", "详细规划处", "耕地保护处", "不动产登记处", "执法监察处", "测绘地理信息处", "矿产资源处",
    ],
    "市生态环境局": ["大气环境处", "水生态环境处", "土壤生态环境处", "环评处", "执法监督处", "监测处"],
    "市住房和城乡建设局": [
        "城市建设处", "房地产市场监管处", "建筑市场监管处", "住房保障处", "城市更新处", "质量安全处",
    ],
    "市交通运输局": ["综合运输处", "公路处", "道路运输处", "港航处", "安全监督处", "建设管理处"],
    "市水务局": ["水资源处", "河湖管理处", "水旱灾害防御处", "工程建设处", "农村水利处", "供水节水处"],
    "市农业农村局": ["乡村产业处", "种植业管理处", "畜牧兽医处", "农田建设处", "乡村建设处", "农村合作经济处"],
    "市卫生健康委员会": ["医政医管处", "疾病预防控制处", "基层卫生健康处", "妇幼健康处", "老龄健康处", "中医处"],
    "市市场监督管理局": [
        "登记注册处", "信用监管处", "食品生产监管处", "食品经营监管处", "特种设备安全监察处", "质量发展处",
        "知识产权处", "价格监督检查处", "执法稽查支队",
    ],
    "市审计局": ["财政审计处", "经济责任审计处", "企业审计处", "社会保障审计处", "固定资产投资审计处"],
    "市统计局": ["综合处", "国民经济核算处", "工业统计处", "人口和社会科技统计处", "统计执法监督处"],
    "市政府办公室": ["秘书一处", "秘书二处", "秘书三处", "督查室", "综合处", "信息处"],
    "市委办公室": ["秘书处", "综合处", "督查室", "机要局", "保密办", "信息处"],
}  # fmt: skip

# Construction projects a project branch (项目党支部) forms around, by the organ that leads them.
PROJECTS = {
    "市发展和改革委员会": ["徐州淮海国际陆港建设项目", "国家骨干冷链物流基地建设项目", "徐州东站综合客运枢纽提升项目"],
    "市自然资源和规划局": ["潘安湖湿地生态修复提升项目", "采煤塌陷地综合治理项目"],
    "市生态环境局": ["故黄河生态廊道建设项目", "云龙湖水环境综合治理项目"],
    "市住房和城乡建设局": ["老旧小区改造提升项目", "城市更新重点片区建设项目", "市民服务中心建设项目"],
    "市交通运输局": [
        "徐州地铁3号线二期工程建设项目", "徐州地铁6号线一期工程建设项目", "京杭运河徐州段航道整治项目",
        "城市快速路网二期工程项目", "徐州观音国际机场T2航站楼建设项目",
    ],
    "市水务局": ["骆马湖水源地保护工程项目", "农村饮水安全巩固提升项目"],
    "市农业农村局": ["高标准农田建设项目", "农村人居环境整治提升项目"],
    "市城市管理局": ["城市生活垃圾分类处理项目", "背街小巷综合整治项目"],
    "市工业和信息化局": ["徐州工程机械产业集群培育项目"],
    "市数据局": ["数字政府建设项目"],
}  # fmt: skip

TEMPORARY_TASKS = [
    "乡村振兴驻村工作队", "对口支援挂职干部", "全国文明城市创建专班", "重大项目攻坚专班", "招商引资专班",
    "防汛抗旱工作", "安全生产专项整治专班", "营商环境优化专班", "信访积案化解专班", "中青年干部培训班",
]  # fmt: skip

# Small units under an organ that share a joint branch (联合党支部) because each has too few members.
JOINT_UNITS = [
    "档案室", "机关服务中心", "培训中心", "宣传教育中心", "监测站", "执法大队", "研究所", "接待办",
    "法律服务中心", "后勤服务中心", "信息中心", "调查队",
]  # fmt: skip


class DissolvedBranch(NamedTuple):
    """A branch that once existed. With an organ it belongs to that organ when the plan has it; else to any."""

    organ: str | None
    name: str
    kind: str
    reason: str
    founded_years: tuple[int, int]
    dissolved_years: tuple[int, int]


_MERGED = "机构改革，职能并入，党员组织关系整体转接"
_OPENED = "项目建成通车，完成使命撤销"
DISSOLVED = [
    DissolvedBranch("市发展和改革委员会", "原物价局机关党支部", BranchKind.ORGAN, _MERGED, (1995, 2005), (2019, 2019)),
    DissolvedBranch("市发展和改革委员会", "原粮食局机关党支部", BranchKind.ORGAN, _MERGED, (1995, 2005), (2019, 2019)),
    DissolvedBranch(
        "市交通运输局", "徐州地铁1号线建设项目党支部", BranchKind.PROJECT, _OPENED, (2014, 2014), (2019, 2020)
    ),
    DissolvedBranch(
        "市交通运输局", "徐州地铁2号线建设项目党支部", BranchKind.PROJECT, _OPENED, (2015, 2016), (2020, 2021)
    ),
    DissolvedBranch(
        "市统计局", "第七次全国人口普查临时党支部", BranchKind.TEMPORARY, "普查工作结束撤销", (2020, 2020), (2021, 2021)
    ),
    DissolvedBranch(None, "疫情防控临时党支部", BranchKind.TEMPORARY, "阶段性任务完成撤销", (2020, 2020), (2023, 2023)),
    DissolvedBranch(
        None, "机关服务中心党支部", BranchKind.ORGAN, "事业单位改革，党员转入机关其他支部", (2000, 2010), (2019, 2022)
    ),
    DissolvedBranch(
        None, "第一联合党支部", BranchKind.JOINT, "所属单位党员人数增加，分别单独建立支部", (2010, 2015), (2018, 2024)
    ),
]

# Approximate nationwide shares (per mille) of the most common surnames; single characters only.
SURNAMES = """
王71 李70 张67 刘54 陈45 杨31 黄22 赵20 吴19 周19 徐13 孙12 马11 朱11 胡10 郭9.7 何9.5 林9 高9 罗8.6
郑8 梁7 谢6 宋6 唐5 许5 韩5 冯5 邓5 曹5 彭4.5 曾4.4 肖4.3 田4.2 董4.1 袁4.1 潘4 于3.9 蒋3.8 蔡3.7
余3.6 杜3.5 叶3.5 程3.4 苏3.3 魏3.2 吕3.2 丁3.1 任3 沈3 姚2.8 卢2.8 姜2.7 崔2.6 钟2.6 谭2.5 陆2.4 汪2.4
范2.3 金2.3 石2.2 廖2.2 贾2.1 夏2.1 韦2 付2 方2 白1.9 邹1.9 孟1.8 熊1.8 秦1.8 邱1.8 江1.7 尹1.7 薛1.6
闫1.6 段1.5 雷1.5 侯1.5 龙1.5 史1.4 陶1.4 黎1.4 贺1.4 顾1.3 毛1.3 郝1.3 龚1.3 邵1.3 万1.2 钱1.2 严1.2
覃1.2 武1.2 戴1.2 莫1.1 孔1.1 向1.1 汤1.1 葛0.8 单0.5 解0.4 仇0.3
"""

# Given-name characters: names of people born before 1982 read differently from younger ones.
OLDER_BORN_BEFORE = 1982
MALE_FIRST = {"older": "建志振永德学卫庆长兆海春文明国立家宏光晓", "younger": "子浩宇俊嘉博昊泽天一思睿文晓家明志"}
MALE_SECOND = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳亮成峰东祥轩然睿航晨翔毅彬"
FEMALE_FIRST = {"older": "丽秀玉春晓海文淑桂美红爱雪", "younger": "雅梦佳欣诗思雨紫若嘉子一晓文婉静"}
FEMALE_SECOND = "丽敏静燕艳娟霞芳娜婷玲倩雪颖琳洁佳慧莉梅萍红晶璐瑶欣怡悦蕾薇云凤琴丹露楠雯月萱涵琪"
SINGLE_GIVEN_NAME = {"older": 0.35, "younger": 0.15}

ETHNICITIES = [
    ("汉族", 975), ("回族", 12), ("满族", 4), ("蒙古族", 3), ("壮族", 2), ("土家族", 1), ("苗族", 1),
    ("朝鲜族", 1), ("彝族", 1),
]  # fmt: skip

EDUCATION_BY_ERA = [
    (1975, [(Education.MASTER, 10), (Education.BACHELOR, 55), (Education.COLLEGE, 25), (Education.SECONDARY, 6),
            (Education.HIGH_SCHOOL, 4)]),
    (1990, [(Education.DOCTORATE, 2), (Education.MASTER, 25), (Education.BACHELOR, 63), (Education.COLLEGE, 10)]),
    (9999, [(Education.DOCTORATE, 3), (Education.MASTER, 45), (Education.BACHELOR, 52)]),
]  # fmt: skip

# Xuzhou's county codes as issued when these members were born (铜山县 and 九里区 were renamed in 2010).
REGION_CODES = [
    ("320302", 3), ("320303", 3), ("320311", 3), ("320304", 1), ("320305", 1), ("320323", 3), ("320321", 2),
    ("320322", 2), ("320324", 2), ("320381", 2), ("320382", 2),
]  # fmt: skip

PHONE_PREFIXES = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156", "157",
    "158", "159", "166", "173", "177", "178", "180", "181", "182", "183", "185", "186", "187", "188", "189", "191",
    "198", "199",
]  # fmt: skip

POSTS_BY_AGE = [
    (30, [("科员", 5), ("一级科员", 3), ("二级科员", 2), ("四级主任科员", 1)]),
    (42, [("科员", 1), ("副科长", 3), ("科长", 2), ("四级主任科员", 3), ("三级主任科员", 2), ("二级主任科员", 1)]),
    (999, [("科长", 2), ("副处长", 1), ("一级主任科员", 3), ("二级主任科员", 2), ("四级调研员", 2), ("三级调研员", 1)]),
]  # fmt: skip
# The title of an organ's head, by the end of the organ's name; anything else has a 主任.
HEAD_TITLES = [
    ("共青团徐州市委员会", "书记"), ("委员会", "主任"), ("检察院", "检察长"), ("院", "院长"), ("局", "局长"),
    ("部", "部长"), ("党校", "校长"), ("红十字会", "会长"), ("会", "主席"), ("馆", "馆长"), ("站", "站长"),
]  # fmt: skip

BIRTH_FIRST = datetime.date(1965, 1, 1)
BIRTH_LAST = datetime.date(2000, 12, 31)
LEADER_BIRTH_LAST = datetime.date(1988, 12, 31)
FOUNDED_FIRST = datetime.date(1990, 1, 1)

MALE_SHARE = 0.55
LEADER_SHARE = 1 / 12
PROBATIONARY_SHARE = 0.05
PARTY_WORKER_SHARE = 0.02
WARNING_SHARE = 0.05
GROUPS_FROM_SIZE = 15
# Shares of the branches other than each organ's first and its retirees' branch; an organ without a project
# or task left to give gets an organ branch instead. Joint branch sizes are drawn on their own (3–6).
KIND_SHARES = [(BranchKind.PROJECT, 0.06), (BranchKind.TEMPORARY, 0.05), (BranchKind.JOINT, 0.07)]
KIND_WEIGHTS = {BranchKind.PROJECT: 0.8, BranchKind.TEMPORARY: 0.35, BranchKind.JOINT: 0}
RETIREES_FROM_BRANCHES = 5
DEMO_BRANCH_MIN_SIZE = 10

# --- Small helpers ---------------------------------------------------------------------------


class _Weighted:
    """A weighted vocabulary; cumulative weights are computed once because members draw thousands of times."""

    def __init__(self, pairs):
        self.values = [value for value, _ in pairs]
        self.cum_weights = list(itertools.accumulate(weight for _, weight in pairs))

    def pick(self, rng: random.Random):
        return rng.choices(self.values, cum_weights=self.cum_weights)[0]


def _parse_surnames(text: str) -> list[tuple[str, float]]:
    return [(item[0], float(item[1:])) for item in text.split()]


_SURNAMES = _Weighted(_parse_surnames(SURNAMES))
_ETHNICITIES = _Weighted(ETHNICITIES)
_EDUCATION = [(before, _Weighted(pairs)) for before, pairs in EDUCATION_BY_ERA]
_REGIONS = _Weighted(REGION_CODES)
_POSTS = [(below, _Weighted(pairs)) for below, pairs in POSTS_BY_AGE]

_CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """Chinese numerals as used in branch names (第十二党支部); digits from 100 on."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN_DIGITS[ones]
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def id_check_digit(first17: str) -> str:
    """GB 11643: weights are 2^(17-i) mod 11."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    return "10X98765432"[total % 11]


def random_date(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def days_before(day: datetime.date, days: int) -> datetime.date:
    return day - datetime.timedelta(days=days)


def split_total(rng: random.Random, total: int, weights, lows, highs) -> list[int]:
    """Integers within their bounds, roughly proportional to `weights`, that add up to `total`."""
    if not sum(lows) <= total <= sum(highs):
        raise ValueError("total is outside the bounds")
    scale = total / sum(weights)
    sizes = [min(high, max(low, round(w * scale))) for w, low, high in zip(weights, lows, highs, strict=True)]
    diff = total - sum(sizes)
    # Rounding and clamping leave a small remainder; spread it one unit at a time.
    while diff:
        i = rng.randrange(len(sizes))
        step = 1 if diff > 0 else -1
        if lows[i] <= sizes[i] + step <= highs[i]:
            sizes[i] += step
            diff -= step
    return sizes


def _has_retirees(branch_count: int) -> bool:
    return branch_count >= RETIREES_FROM_BRANCHES


def size_error(organs: int, branches: int, members_per_branch: int) -> str | None:
    """Why the requested sizes cannot make an organisation, or None when they can."""
    if organs < 1:
        return "机关数至少为 1。"
    if branches < organs:
        return f"支部总数（{branches}）不能少于机关数（{organs}），每个机关至少有一个支部。"
    if members_per_branch < MIN_MEMBERS_PER_BRANCH:
        return f"平均每个支部党员数至少为 {MIN_MEMBERS_PER_BRANCH}。"
    return None


# --- The plan ----------------------------------------------------------------------------------


@dataclass
class DemoPlan:
    """Unsaved instances in insertion order, plus the records the demo accounts attach to."""

    organs: list[Organ] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)
    groups: list[PartyGroup] = field(default_factory=list)
    group_leaders: list[tuple[PartyGroup, Member]] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    terms: list[CommitteeTerm] = field(default_factory=list)
    seats: list[CommitteeMember] = field(default_factory=list)
    demo_branch: Branch | None = None
    demo_secretary: Member | None = None
    demo_member: Member | None = None

    @property
    def active_branches(self) -> list[Branch]:
        return [b for b in self.branches if b.dissolved_on is None]


@dataclass
class _Draft:
    """A branch being planned, with its roster (model instances without keys are unhashable)."""

    branch: Branch
    organ_index: int
    weight: float
    retirees: bool = False
    members: list[Member] = field(default_factory=list)

    @property
    def full_members(self) -> list[Member]:
        return [m for m in self.members if m.status == MemberStatus.FULL]


class _BranchNamer:
    """Branch names unique within one organ, in the style that organ uses."""

    def __init__(self, rng: random.Random, organ_name: str):
        self.rng = rng
        self.used: set[str] = set()
        self.counter = 0
        # Some organs number their branches instead of naming them after departments.
        self.numbered = rng.random() < 0.3
        self.number_prefix = rng.choice(["", "机关"])
        own = DEPARTMENTS.get(organ_name, [])
        self.departments = ["办公室", *self._shuffled(own), *self._shuffled(GENERIC_DEPARTMENTS)]
        self.projects = self._shuffled(PROJECTS.get(organ_name, []))
        self.tasks = self._shuffled(TEMPORARY_TASKS)
        self.unit_pairs = self._shuffled(list(itertools.combinations(JOINT_UNITS, 2)))

    def _shuffled(self, items) -> list:
        items = list(items)
        self.rng.shuffle(items)
        return items

    def _take(self, name: str) -> str | None:
        if name in self.used:
            return None
        self.used.add(name)
        return name

    def organ_branch(self) -> str:
        while not self.numbered and self.departments:
            name = self._take(f"{self.departments.pop(0)}党支部")
            if name:
                return name
        return self.numbered_branch()

    def numbered_branch(self) -> str:
        while True:
            self.counter += 1
            name = self._take(f"{self.number_prefix}第{cn_number(self.counter)}党支部")
            if name:
                return name

    def retirees_branch(self) -> str:
        return self._take("离退休干部党支部") or self.numbered_branch()

    def project_branch(self) -> str | None:
        return self._take(f"{self.projects.pop()}党支部") if self.projects else None

    def temporary_branch(self) -> str | None:
        return self._take(f"{self.tasks.pop()}临时党支部") if self.tasks else None

    def joint_branch(self) -> str:
        while self.unit_pairs:
            a, b = self.unit_pairs.pop()
            name = self._take(f"{a}、{b}联合党支部")
            if name:
                return name
        return self.numbered_branch()


class _Planner:
    """Draws the whole organisation from one `random.Random`, in a fixed order, so a seed reproduces it."""

    def __init__(self, seed: int, today: datetime.date, rules: OrganisationRules):
        self.rng = random.Random(seed)
        self.today = today
        self.rules = rules
        self.plan = DemoPlan()
        self._id_numbers: set[str] = set()
        self._phones: set[str] = set()
        self._sort_keys: dict[str, str] = {}
        self._headed_organs: set[int] = set()

    def build(self, n_organs: int, n_branches: int, members_per_branch: int) -> DemoPlan:
        self._plan_organs(n_organs)
        drafts = self._plan_branches(n_branches)
        sizes = self._branch_sizes(drafts, n_branches * members_per_branch, members_per_branch)
        for draft, size in zip(drafts, sizes, strict=True):
            self._plan_roster(draft, size)
        self._set_committee_kinds(drafts)
        self._plan_terms(drafts)
        self._plan_demo_people(drafts[0])
        self._plan_dissolved(max(1, n_branches // 30))
        return self.plan

    # Organs -------------------------------------------------------------------------------

    def _plan_organs(self, n: int) -> None:
        for i in range(n):
            name, short, _ = ORGANS[i] if i < len(ORGANS) else self._extra_organ(i)
            self.plan.organs.append(Organ(name=name, short_name=short, sort_order=i + 1))

    @staticmethod
    def _extra_organ(i: int) -> tuple[str, str, float]:
        number = i - len(ORGANS) + 1
        return f"市直属机关第{cn_number(number)}单位", f"直属第{cn_number(number)}单位", EXTRA_ORGAN_WEIGHT

    def _organ_weight(self, i: int) -> float:
        base = ORGANS[i][2] if i < len(ORGANS) else EXTRA_ORGAN_WEIGHT
        return base * self.rng.uniform(0.8, 1.25)

    def _set_committee_kinds(self, drafts: list[_Draft]) -> None:
        totals = [0] * len(self.plan.organs)
        for draft in drafts:
            totals[draft.organ_index] += len(draft.members)
        for organ, total in zip(self.plan.organs, totals, strict=True):
            # Below 50 members the nearest organisation the rules describe is still the 党总支.
            big = total >= 100
            organ.committee_kind = CommitteeKind.PARTY_COMMITTEE if big else CommitteeKind.GENERAL_BRANCH

    # Branches -----------------------------------------------------------------------------

    def _plan_branches(self, n_branches: int) -> list[_Draft]:
        organs = self.plan.organs
        weights = [self._organ_weight(i) for i in range(len(organs))]
        low = 2 if n_branches >= 2 * len(organs) else 1
        counts = split_total(self.rng, n_branches, weights, [low] * len(organs), [n_branches] * len(organs))
        kinds = self._special_kinds(counts)
        drafts = []
        for index, count in enumerate(counts):
            drafts.extend(self._organ_branches(index, count, kinds))
        self.plan.branches.extend(d.branch for d in drafts)
        return drafts

    def _special_kinds(self, counts: list[int]) -> dict[tuple[int, int], str]:
        """Project, temporary and joint branches by (organ, position), drawn as quotas so a demo has each kind."""
        slots = [(i, pos) for i, count in enumerate(counts) for pos in range(1, count - _has_retirees(count))]
        self.rng.shuffle(slots)
        kinds: dict[tuple[int, int], str] = {}
        for kind, share in KIND_SHARES:
            quota = round(share * len(slots)) or int(len(slots) >= 20)
            free = [s for s in slots if s not in kinds and (kind != BranchKind.PROJECT or self._has_projects(s[0]))]
            kinds.update((slot, kind) for slot in free[:quota])
        return kinds

    def _has_projects(self, organ_index: int) -> bool:
        return bool(PROJECTS.get(self.plan.organs[organ_index].name))

    def _organ_branches(self, organ_index: int, count: int, kinds: dict[tuple[int, int], str]) -> list[_Draft]:
        organ = self.plan.organs[organ_index]
        namer = _BranchNamer(self.rng, organ.name)
        # The first branch is an ordinary organ branch: the demo secretary's branch is the first one.
        drafts = [self._organ_draft(organ_index, namer.organ_branch())]
        for pos in range(1, count - _has_retirees(count)):
            kind = kinds.get((organ_index, pos), BranchKind.ORGAN)
            drafts.append(self._kind_draft(organ_index, namer, kind))
        if _has_retirees(count):
            drafts.append(self._organ_draft(organ_index, namer.retirees_branch(), retirees=True))
        return drafts

    def _kind_draft(self, organ_index: int, namer: _BranchNamer, kind: str) -> _Draft:
        namers = {
            BranchKind.PROJECT: namer.project_branch,
            BranchKind.TEMPORARY: namer.temporary_branch,
            BranchKind.JOINT: namer.joint_branch,
        }
        name = namers[kind]() if kind in namers else None
        if name is None:
            return self._organ_draft(organ_index, namer.organ_branch())
        return self._draft(organ_index, name, kind, KIND_WEIGHTS[kind] * self.rng.uniform(0.7, 1.3))

    def _organ_draft(self, organ_index: int, name: str, retirees: bool = False) -> _Draft:
        weight = self.rng.uniform(0.3, 0.8) if retirees else self.rng.uniform(0.5, 1.5)
        draft = self._draft(organ_index, name, BranchKind.ORGAN, weight)
        draft.retirees = retirees
        return draft

    def _draft(self, organ_index: int, name: str, kind: str, weight: float) -> _Draft:
        branch = Branch(organ=self.plan.organs[organ_index], name=name, kind=kind, founded_on=self._founded_on(kind))
        return _Draft(branch=branch, organ_index=organ_index, weight=weight)

    def _founded_on(self, kind: str) -> datetime.date:
        # Organ branches are old enough for any term, even an expired one, to start after them.
        spans = {
            BranchKind.ORGAN: (FOUNDED_FIRST, add_years(self.today, -8)),
            BranchKind.JOINT: (datetime.date(2008, 1, 1), add_years(self.today, -5)),
            BranchKind.PROJECT: (add_years(self.today, -4), add_years(self.today, -1)),
            BranchKind.TEMPORARY: (add_years(self.today, -2), days_before(self.today, 60)),
        }
        return random_date(self.rng, *spans[kind])

    def _branch_sizes(self, drafts: list[_Draft], total: int, average: int) -> list[int]:
        joint = [d.branch.kind == BranchKind.JOINT for d in drafts]
        joint_sizes = [self.rng.randint(3, min(6, average)) if j else 0 for j in joint]
        others = [d for d, j in zip(drafts, joint, strict=True) if not j]
        rest = total - sum(joint_sizes)
        low = min(5, average)
        high = max(self.rules.max_members, 2 * -(-rest // len(others)))
        lows = [low] * len(others)
        # The demo secretary's branch gets a committee, so that every demo account has something to show.
        lows[0] = max(low, min(DEMO_BRANCH_MIN_SIZE, average))
        other_sizes = iter(split_total(self.rng, rest, [d.weight for d in others], lows, [high] * len(others)))
        return [size if j else next(other_sizes) for size, j in zip(joint_sizes, joint, strict=True)]

    # Members ------------------------------------------------------------------------------

    def _plan_roster(self, draft: _Draft, size: int) -> None:
        draft.members = [self._member(draft) for _ in range(size)]
        self.plan.members.extend(draft.members)
        if size >= GROUPS_FROM_SIZE:
            self._plan_groups(draft)

    def _member(self, draft: _Draft) -> Member:
        rng = self.rng
        male = rng.random() < MALE_SHARE
        probationary = not draft.retirees and rng.random() < PROBATIONARY_SHARE
        leader = not draft.retirees and not probationary and rng.random() < LEADER_SHARE
        birth = self._birth_date(male, probationary, leader, draft.retirees)
        joined = self._joined_on(birth, probationary)
        name = self._name(male, birth.year)
        return Member(
            name=name,
            name_pinyin=self._sort_key(name),
            gender=Gender.MALE if male else Gender.FEMALE,
            ethnicity=_ETHNICITIES.pick(rng),
            birth_date=birth,
            education=self._education(birth.year),
            id_number=self._id_number(birth, male),
            organ=draft.branch.organ,
            post=self._post(draft, leader, birth),
            phone=self._phone(),
            joined_on=joined,
            confirmed_on=None if probationary else add_years(joined, 1),
            status=MemberStatus.PROBATIONARY if probationary else MemberStatus.FULL,
            branch=draft.branch,
            is_leader=leader,
            is_party_worker=rng.random() < PARTY_WORKER_SHARE,
        )

    def _birth_date(self, male: bool, probationary: bool, leader: bool, retiree: bool) -> datetime.date:
        last = BIRTH_LAST
        if retiree:
            last = add_years(self.today, -60 if male else -55)
        elif leader:
            last = LEADER_BIRTH_LAST
        # A probationary member joined within the year, at 40 at the latest.
        first = max(BIRTH_FIRST, add_years(self.today, -39)) if probationary else BIRTH_FIRST
        return random_date(self.rng, first, max(first, min(last, BIRTH_LAST)))

    def _joined_on(self, birth: datetime.date, probationary: bool) -> datetime.date:
        if probationary:
            return days_before(self.today, self.rng.randint(1, 364))
        earliest = add_years(birth, 18)
        # Full members were confirmed a year after joining, so they joined over a year ago.
        latest = days_before(add_years(self.today, -1), 1)
        age = self.rng.triangular(18, 40, 22)
        joined = earliest + datetime.timedelta(days=int((age - 18) * 365.25))
        # Redraw rather than clamp, which would pile the youngest members up on one date.
        return joined if joined <= latest else random_date(self.rng, earliest, latest)

    def _name(self, male: bool, birth_year: int) -> str:
        rng = self.rng
        era = "older" if birth_year < OLDER_BORN_BEFORE else "younger"
        firsts, seconds = (MALE_FIRST[era], MALE_SECOND) if male else (FEMALE_FIRST[era], FEMALE_SECOND)
        surname = _SURNAMES.pick(rng)
        if rng.random() < SINGLE_GIVEN_NAME[era]:
            return surname + rng.choice(seconds)
        while True:
            given = rng.choice(firsts) + rng.choice(seconds)
            if given[0] != given[1] and surname not in given:
                return surname + given

    def _sort_key(self, name: str) -> str:
        # bulk_create skips Member.save(), which fills this column.
        if name not in self._sort_keys:
            self._sort_keys[name] = name_sort_key(name)
        return self._sort_keys[name]

    def _education(self, birth_year: int) -> str:
        return next(table for before, table in _EDUCATION if birth_year < before).pick(self.rng)

    def _id_number(self, birth: datetime.date, male: bool) -> str:
        while True:
            # The 17th digit is odd for men and even for women.
            sequence = self.rng.randrange(1, 500) * 2 - (1 if male else 0)
            first17 = f"{_REGIONS.pick(self.rng)}{birth:%Y%m%d}{sequence:03d}"
            number = first17 + id_check_digit(first17)
            if number not in self._id_numbers:
                self._id_numbers.add(number)
                return number

    def _phone(self) -> str:
        while True:
            phone = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self._phones:
                self._phones.add(phone)
                return phone

    def _post(self, draft: _Draft, leader: bool, birth: datetime.date) -> str:
        head = self._head_title(draft.branch.organ.name)
        if draft.retirees:
            return self.rng.choice([f"原副{head}", "原处长", "原科长", "退休干部", "退休干部"])
        if leader:
            return self._leader_post(draft.organ_index, head)
        age = self.today.year - birth.year
        return next(table for below, table in _POSTS if age < below).pick(self.rng)

    def _leader_post(self, organ_index: int, head: str) -> str:
        if organ_index not in self._headed_organs:
            self._headed_organs.add(organ_index)
            return head
        return self.rng.choice([f"副{head}", f"副{head}", "党组成员", "处长", "处长", "副处长", "一级调研员"])

    @staticmethod
    def _head_title(organ_name: str) -> str:
        return next((title for suffix, title in HEAD_TITLES if organ_name.endswith(suffix)), "主任")

    def _plan_groups(self, draft: _Draft) -> None:
        count = self.rng.randint(2, 4)
        names = [f"第{cn_number(i + 1)}党小组" for i in range(count)]
        # Written with bulk_create, which skips PartyGroup.save: the sort number is set here as save would.
        groups = [PartyGroup(branch=draft.branch, name=name, name_number=number_in_name(name)) for name in names]
        order = list(draft.members)
        self.rng.shuffle(order)
        for i, member in enumerate(order):
            member.party_group = groups[i % count]
        for i, group in enumerate(groups):
            in_group = order[i::count]
            leader = next((m for m in in_group if m.status == MemberStatus.FULL), in_group[0])
            self.plan.group_leaders.append((group, leader))
        self.plan.groups.extend(groups)

    # Committee terms ----------------------------------------------------------------------

    def _plan_terms(self, drafts: list[_Draft]) -> None:
        scenarios = self._warning_scenarios(drafts)
        for i, draft in enumerate(drafts):
            scenario = scenarios.get(i)
            if scenario == "no_term":
                continue
            elected = self._current_election(draft, expired=scenario == "expired")
            self._add_term(draft, elected, secretary_only=scenario == "secretary_only")
            if draft.branch.kind in (BranchKind.ORGAN, BranchKind.JOINT) and self.rng.random() < 0.5:
                self._add_past_term(draft, elected)

    def _warning_scenarios(self, drafts: list[_Draft]) -> dict[int, str]:
        """A few branches left with the warnings a real roster has; never the demo branch (index 0)."""
        threshold = self.rules.committee_threshold
        eligible = {
            "expired": [i for i, d in enumerate(drafts) if i and d.branch.kind == BranchKind.ORGAN],
            "secretary_only": [i for i, d in enumerate(drafts) if i and len(d.full_members) >= threshold],
            "no_term": list(range(1, len(drafts))),
        }
        wanted = min(len(drafts) - 1, max(1, round(len(drafts) * WARNING_SHARE)))
        chosen: dict[int, str] = {}
        for scenario in itertools.islice(itertools.cycle(eligible), wanted):
            free = [i for i in eligible[scenario] if i not in chosen]
            if free:
                chosen[self.rng.choice(free)] = scenario
        return chosen

    def _current_election(self, draft: _Draft, expired: bool) -> datetime.date:
        years = self.rules.term_years
        if expired:
            elected = days_before(add_years(self.today, -years), self.rng.randint(20, 400))
        else:
            elected = days_before(self.today, self.rng.randint(20, years * 365 - 40))
        return max(elected, draft.branch.founded_on)

    def _add_past_term(self, draft: _Draft, current: datetime.date) -> None:
        elected = days_before(add_years(current, -self.rules.term_years), self.rng.randint(0, 60))
        if elected >= draft.branch.founded_on:
            self._add_term(draft, elected, secretary_only=False)

    def _add_term(self, draft: _Draft, elected: datetime.date, secretary_only: bool) -> CommitteeTerm:
        years = self.rules.term_years
        note = "上级党组织指定书记" if draft.branch.kind == BranchKind.TEMPORARY else ""
        term = CommitteeTerm(
            branch=draft.branch, elected_on=elected, term_years=years, ends_on=add_years(elected, years), note=note
        )
        self.plan.terms.append(term)
        # Only members who were already full members on election day could be elected.
        full = draft.full_members
        eligible = [m for m in full if m.confirmed_on <= elected] or full or draft.members
        posts = self._posts(len(full), secretary_only, len(eligible))
        for member, post in zip(self._holders(eligible, len(posts)), posts, strict=True):
            self.plan.seats.append(CommitteeMember(term=term, member=member, post=post))
        return term

    def _posts(self, n_full: int, secretary_only: bool, n_eligible: int) -> list[str]:
        rules = self.rules
        if n_full >= rules.committee_threshold and not secretary_only:
            size = self.rng.randint(max(3, rules.committee_min_size), max(3, min(5, rules.committee_max_size)))
            posts = self._committee_posts(size)
        else:
            deputy = not secretary_only and n_full >= 2 and self.rng.random() < 0.3
            posts = [CommitteePost.SECRETARY, CommitteePost.DEPUTY] if deputy else [CommitteePost.SECRETARY]
        return posts[:n_eligible]

    def _committee_posts(self, size: int) -> list[str]:
        members = [CommitteePost.ORGANISATION, CommitteePost.PUBLICITY, CommitteePost.DISCIPLINE]
        if size == 3:
            kept = self.rng.sample(members, 2)
            members = [p for p in members if p in kept]
        deputy = [CommitteePost.DEPUTY] if size >= 5 else []
        extra = [CommitteePost.MEMBER] * max(0, size - 5)
        return [CommitteePost.SECRETARY, *deputy, *members, *extra]

    def _holders(self, eligible: list[Member], count: int) -> list[Member]:
        """The secretary first: usually one of the branch's leaders, who carry 一岗双责."""
        # The organ's head leads its 党组 and sits on no branch committee, unless no one else can.
        head = self._head_title(eligible[0].organ.name)
        candidates = [m for m in eligible if m.post != head]
        if len(candidates) < count:
            candidates = eligible
        leaders = [m for m in candidates if m.is_leader]
        secretary = self.rng.choice(leaders if leaders and self.rng.random() < 0.7 else candidates)
        others = self.rng.sample([m for m in candidates if m is not secretary], count - 1)
        return [secretary, *others]

    # Demo people and dissolved branches ---------------------------------------------------

    def _plan_demo_people(self, draft: _Draft) -> None:
        self.plan.demo_branch = draft.branch
        term_seats = [s for s in self.plan.seats if s.term.branch is draft.branch]
        latest = max(s.term.elected_on for s in term_seats)
        current = [s for s in term_seats if s.term.elected_on == latest]
        self.plan.demo_secretary = next(s.member for s in current if s.post == CommitteePost.SECRETARY)
        self.plan.demo_secretary.is_party_worker = True
        on_committee = [s.member for s in current]
        ordinary = [m for m in draft.members if not any(m is c for c in on_committee)]
        self.plan.demo_member = next((m for m in ordinary if not m.is_leader), ordinary[0])

    def _plan_dissolved(self, count: int) -> None:
        for organ_index, template in self._dissolved_slots()[:count]:
            founded = self._date_in_years(*template.founded_years)
            branch = Branch(
                organ=self.plan.organs[organ_index],
                name=template.name,
                kind=template.kind,
                founded_on=founded,
                dissolved_on=max(founded, self._date_in_years(*template.dissolved_years)),
                dissolution_reason=template.reason,
            )
            self.plan.branches.append(branch)

    def _dissolved_slots(self) -> list[tuple[int, DissolvedBranch]]:
        """Organ-specific templates first, then the generic ones spread over random organs."""
        index_of = {organ.name: i for i, organ in enumerate(self.plan.organs)}
        own = [(index_of[t.organ], t) for t in DISSOLVED if t.organ in index_of]
        generic = [t for t in DISSOLVED if t.organ is None]
        spread = list(itertools.product(range(len(self.plan.organs)), generic))
        self.rng.shuffle(spread)
        return own + spread

    def _date_in_years(self, first: int, last: int) -> datetime.date:
        latest = min(datetime.date(last, 12, 31), days_before(self.today, 1))
        return random_date(self.rng, datetime.date(first, 1, 1), latest)


def plan_demo(
    *,
    organs: int = DEFAULT_ORGANS,
    branches: int = DEFAULT_BRANCHES,
    members_per_branch: int = DEFAULT_MEMBERS_PER_BRANCH,
    seed: int = DEFAULT_SEED,
    today: datetime.date,
    rules: OrganisationRules | None = None,
) -> DemoPlan:
    """The demo organisation as unsaved instances; `size_error` must have accepted the sizes."""
    error = size_error(organs, branches, members_per_branch)
    if error:
        raise ValueError(error)
    rules = rules or OrganisationRules(year=today.year)
    return _Planner(seed, today, rules).build(organs, branches, members_per_branch)


# --- Writing -----------------------------------------------------------------------------------


@transaction.atomic
def write_demo(plan: DemoPlan) -> None:
    """Insert a plan and its branches' kept figures; `seed_demo` gives the rows their first history entry once
    every step has written (bulk_create skips it)."""
    Organ.objects.bulk_create(plan.organs, batch_size=BATCH_SIZE)
    Branch.objects.bulk_create(plan.branches, batch_size=BATCH_SIZE)
    PartyGroup.objects.bulk_create(plan.groups, batch_size=BATCH_SIZE)
    Member.objects.bulk_create(plan.members, batch_size=BATCH_SIZE)
    # A group leader is a member, and members need their group's key first: leaders come last.
    for group, leader in plan.group_leaders:
        group.leader = leader
    PartyGroup.objects.bulk_update(plan.groups, ["leader"], batch_size=500)
    CommitteeTerm.objects.bulk_create(plan.terms, batch_size=BATCH_SIZE)
    CommitteeMember.objects.bulk_create(plan.seats, batch_size=BATCH_SIZE)
    # Bulk writes pass the services that keep the branches' figures: the later steps (reminders) read them.
    figures.rebuild()


# --- Demo accounts -----------------------------------------------------------------------------

GONGWEI, JIGUAN, SHUJI, DANGYUAN, ADMIN = "gongwei", "jiguan", "shuji", "dangyuan", "admin"
DEMO_USERNAMES = [GONGWEI, JIGUAN, SHUJI, DANGYUAN, ADMIN]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    scope: str


def taken_demo_usernames() -> list[str]:
    User = get_user_model()
    return sorted(User.objects.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True))


@transaction.atomic
def create_demo_accounts(plan: DemoPlan) -> None:
    """One account per role, all with DEMO_PASSWORD; the plan must have been written."""
    User = get_user_model()
    gongwei = _demo_user(GONGWEI, "王工委")
    jiguan = _demo_user(JIGUAN, "李机关")
    shuji = _demo_user(SHUJI, plan.demo_secretary.name)
    roles = [
        RoleAssignment.objects.create(user=gongwei, role=Role.GONGWEI),
        RoleAssignment.objects.create(user=jiguan, role=Role.ORGAN, organ=plan.organs[0]),
        RoleAssignment.objects.create(user=shuji, role=Role.BRANCH, branch=plan.demo_branch),
    ]
    record_grants(roles)
    dangyuan = _demo_user(DANGYUAN, plan.demo_member.name)
    Member.objects.filter(pk=plan.demo_secretary.pk).update(user=shuji)
    Member.objects.filter(pk=plan.demo_member.pk).update(user=dangyuan)
    User.objects.create_superuser(ADMIN, email="", password=DEMO_PASSWORD, full_name="系统管理员")


def _demo_user(username: str, full_name: str):
    user = get_user_model()(username=username, full_name=full_name)
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def demo_accounts() -> list[DemoAccount]:
    """The demo accounts present in the database, described from their roles and member links."""
    User = get_user_model()
    users = User.objects.filter(username__in=DEMO_USERNAMES).prefetch_related("roles__organ", "roles__branch__organ")
    members = {m.user_id: m for m in Member.objects.filter(user__in=users).select_related("branch__organ")}
    by_name = {u.username: u for u in users}
    return [_describe(by_name[name], members.get(by_name[name].pk)) for name in DEMO_USERNAMES if name in by_name]


def _describe(user, member: Member | None) -> DemoAccount:
    roles, scopes = [], []
    if user.is_superuser:
        roles.append("系统管理员")
        scopes.append("仅用于后台管理 /admin/")
    for assignment in user.roles.all():
        roles.append(assignment.get_role_display())
        scopes.append(_assignment_scope(assignment))
    if member is not None:
        roles.append("党员")
        scopes.append(f"本人（{member.branch.organ.display_short} {member.branch}）")
    return DemoAccount(user.username, user.get_full_name(), "、".join(roles), "；".join(dict.fromkeys(scopes)))


def _assignment_scope(assignment: RoleAssignment) -> str:
    return assignment.scope_label


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def account_table(accounts: list[DemoAccount]) -> str:
    """A plain-text table that lines up in a terminal, where a Chinese character is two columns wide."""
    # The password printed is the initial one: the accounts may have changed it since.
    rows = [("账号", "初始密码", "姓名", "角色", "范围")]
    rows += [(a.username, DEMO_PASSWORD, a.full_name, a.role, a.scope) for a in accounts]
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
