"""The SQL floor of each page: hand-written statements that fetch the same numbers the page shows.

A page cannot be faster than the database work behind its figures; timing these statements beside
the page says how much of a page's time is the database and how much is Django (ORM, templates).
They are written for PostgreSQL against the tables as the models define them, with the values that
a page takes from its request (year, branch, user) as named parameters, and they fetch what the page
needs in as few statements as a careful hand would: aggregates grouped in the database, one row
per figure, the first page of a list rather than all of it. Every page shows the bell's unread count,
so every floor fetches it; who is asking (session, account, roles) is taken as known.
"""

# The bell in every page's navigation: the asking user's unread notifications.
BELL = (
    "the bell: unread notifications",
    "SELECT count(*) FROM notifications_notification WHERE recipient_id = %(asking)s AND read_at IS NULL",
)

# The statuses the models call running / open, as SQL lists.
RUNNING = "('approved', 'filed')"
OPEN_PROBLEM = "('open', 'in_progress')"
PAGE_SIZE = 30

# Per active branch: members, full members, the current term with its size and secretary. Shared by the
# branch list and the dashboard's warning counts (the same columns as `BranchQuerySet.with_stats`).
_BRANCH_STATS = """
WITH stats AS (
    SELECT b.id, b.name, b.kind, b.organ_id, b.dissolved_on,
           COALESCE(m.n_members, 0) AS n_members, COALESCE(m.n_full, 0) AS n_full,
           t.id AS term_id, t.ends_on AS term_ends_on,
           COALESCE(s.size, 0) AS term_size, COALESCE(s.has_secretary, false) AS has_secretary
    FROM branches_branch b
    LEFT JOIN (
        SELECT branch_id, count(*) AS n_members, count(*) FILTER (WHERE status = 'full') AS n_full
        FROM branches_member GROUP BY branch_id
    ) m ON m.branch_id = b.id
    LEFT JOIN LATERAL (
        SELECT id, ends_on FROM branches_committeeterm
        WHERE branch_id = b.id ORDER BY elected_on DESC, id DESC LIMIT 1
    ) t ON true
    LEFT JOIN LATERAL (
        SELECT count(*) AS size, bool_or(post = 'secretary') AS has_secretary
        FROM branches_committeemember WHERE term_id = t.id
    ) s ON true
    {where}
), flags AS (
    SELECT stats.*,
        dissolved_on IS NULL AND n_full < %(min_full)s AND kind <> 'joint' AS w_too_few,
        dissolved_on IS NULL AND n_full >= %(threshold)s AND NOT term_size >= %(committee_min)s AS w_needs_committee,
        dissolved_on IS NULL AND ((n_full >= %(threshold)s AND term_size > %(committee_max)s)
            OR (n_full < %(threshold)s AND term_size > %(no_committee_max)s)) AS w_committee_size,
        dissolved_on IS NULL AND n_members > %(max_members)s AS w_too_many,
        dissolved_on IS NULL AND NOT has_secretary AS w_no_secretary,
        dissolved_on IS NULL AND term_ends_on < %(today)s AS w_term_expired
    FROM stats
)
"""

BRANCH_LIST = [
    (
        "first page of branches with member counts, term and warnings",
        _BRANCH_STATS.format(where="")
        + f"""
SELECT f.*, o.short_name, o.name AS organ_name FROM flags f JOIN branches_organ o ON o.id = f.organ_id
ORDER BY o.sort_order, o.name, f.name LIMIT {PAGE_SIZE}
""",
    ),
    ("branch count", "SELECT count(*) FROM branches_branch"),
    BELL,
]

PROJECT_PAGE = [
    (
        "project with branch, organ, topic and the responsible member",
        """
SELECT p.*, b.name, o.name, tp.title, tl.year, mem.name FROM projects_project p
JOIN branches_branch b ON b.id = p.branch_id JOIN branches_organ o ON o.id = b.organ_id
LEFT JOIN projects_topic tp ON tp.id = p.topic_id LEFT JOIN projects_topiclist tl ON tl.id = tp.topic_list_id
JOIN branches_member mem ON mem.id = p.responsible_id
WHERE p.id = %(project)s
""",
    ),
    ("targets", "SELECT * FROM projects_target WHERE project_id = %(project)s ORDER BY id"),
    (
        "workflow events with actors",
        """
SELECT e.*, u.username FROM projects_projectevent e LEFT JOIN accounts_user u ON u.id = e.actor_id
WHERE e.project_id = %(project)s ORDER BY e.at, e.id
""",
    ),
    (
        "milestones with their progress reports and evidence",
        """
SELECT m.*, r.id AS report_id, r.percent AS reported, r.filed_at, ev.id AS evidence_id
FROM projects_milestone m
LEFT JOIN projects_milestoneprogress r ON r.milestone_id = m.id
LEFT JOIN projects_evidence ev ON ev.report_id = r.id
WHERE m.project_id = %(project)s ORDER BY m.planned_on, m.id, r.filed_at
""",
    ),
    (
        "tasks with assignees",
        """
SELECT t.*, mem.name FROM projects_task t
LEFT JOIN projects_task_assignees a ON a.task_id = t.id LEFT JOIN branches_member mem ON mem.id = a.member_id
WHERE t.project_id = %(project)s ORDER BY t.due_on, t.id
""",
    ),
    ("supervision", "SELECT * FROM projects_supervision WHERE project_id = %(project)s ORDER BY created_at"),
    (
        "acceptance reviews and marks",
        """
SELECT r.*, k.criterion_id, k.points FROM projects_acceptancereview r
LEFT JOIN projects_acceptancemark k ON k.review_id = r.id WHERE r.project_id = %(project)s
""",
    ),
    BELL,
]

SECRETARY_HOME = [
    (
        "milestones due within a month or overdue, of the branch's running projects",
        f"""
SELECT m.id, m.title, m.planned_on, p.id, p.title FROM projects_milestone m
JOIN projects_project p ON p.id = m.project_id
WHERE p.branch_id = %(branch)s AND p.status IN {RUNNING} AND m.completed_on IS NULL
  AND m.planned_on <= %(today)s + 30 ORDER BY m.planned_on
""",
    ),
    (
        "the branch's and the user's own 一岗双责 roster this period, with each report's state",
        """
SELECT mem.id, mem.name, r.id, r.status, r.is_late FROM branches_member mem
LEFT JOIN assessments_dutyreport r ON r.member_id = mem.id AND r.period_id = (
    SELECT id FROM assessments_dutyreportperiod WHERE starts_on <= %(today)s ORDER BY starts_on DESC LIMIT 1
)
WHERE (mem.branch_id = %(branch)s OR mem.id = %(member)s) AND (mem.is_leader OR r.id IS NOT NULL)
ORDER BY mem.branch_id, mem.name_pinyin
""",
    ),
    (
        "the branches of the user's committee: how many, and how many with a warning",
        _BRANCH_STATS.format(where="WHERE b.id = %(branch)s AND b.dissolved_on IS NULL")
        + """
SELECT count(*), count(*) FILTER (WHERE w_too_few OR w_needs_committee OR w_committee_size OR w_too_many
                                   OR w_no_secretary OR w_term_expired)
FROM flags
""",
    ),
    ("members the user sees", "SELECT count(*) FROM branches_member WHERE branch_id = %(branch)s OR id = %(member)s"),
    (
        "the user's own record with branch and party group",
        """
SELECT mem.*, b.name, g.name FROM branches_member mem JOIN branches_branch b ON b.id = mem.branch_id
LEFT JOIN branches_partygroup g ON g.id = mem.party_group_id WHERE mem.id = %(member)s
""",
    ),
    (
        "the user's open project tasks",
        """
SELECT t.id, t.title, t.due_on, p.id, p.title FROM projects_task t
JOIN projects_task_assignees a ON a.task_id = t.id JOIN projects_project p ON p.id = t.project_id
WHERE a.member_id = %(member)s AND t.status <> 'done' ORDER BY t.due_on, t.id LIMIT 5
""",
    ),
    (
        "meetings held this year by kind and month, against the year's requirements",
        """
SELECT q.kind, q.period, q.min_count, h.month, h.n FROM branches_meetingrequirement q
LEFT JOIN (
    SELECT kind, extract(month FROM held_on)::int AS month, count(*) AS n FROM branches_meeting
    WHERE branch_id = %(branch)s AND held_on BETWEEN %(year_start)s AND %(today)s GROUP BY 1, 2
) h ON h.kind = q.kind
WHERE q.year = %(year)s
""",
    ),
    (
        "督办 to answer",
        """
SELECT s.id, s.answer_due_on, p.title FROM projects_supervision s JOIN projects_project p ON p.id = s.project_id
WHERE p.branch_id = %(branch)s AND s.kind = 'duban' AND s.answered_at IS NULL ORDER BY s.answer_due_on
""",
    ),
    (
        "the branch's open ledger items",
        "SELECT id, title, deadline FROM assessments_problem "
        f"WHERE branch_id = %(branch)s AND status IN {OPEN_PROBLEM}",
    ),
    (
        "the branch's stars in every published run (the latest with its breakdown)",
        """
SELECT run.year, r.stars, r.tier, r.total, r.previous_stars, r.breakdown FROM assessments_ratingresult r
JOIN assessments_ratingrun run ON run.id = r.run_id
WHERE r.branch_id = %(branch)s AND run.status = 'published' ORDER BY run.year
""",
    ),
    (
        "unread notifications: count and the latest five",
        """
SELECT (SELECT count(*) FROM notifications_notification WHERE recipient_id = %(user)s AND read_at IS NULL),
       n.id, n.title, n.created_at
FROM notifications_notification n WHERE n.recipient_id = %(user)s AND n.read_at IS NULL
ORDER BY n.created_at DESC LIMIT 5
""",
    ),
]

DASHBOARD = [
    (
        "branches by stars and tier, with the change from last year",
        """
SELECT stars, tier, count(*),
       count(*) FILTER (WHERE stars > previous_stars) AS up, count(*) FILTER (WHERE stars < previous_stars) AS down
FROM assessments_ratingresult WHERE run_id = %(run)s GROUP BY stars, tier
""",
    ),
    (
        "top and bottom branches of the run",
        """
(SELECT branch_id, branch_name, total, rank FROM assessments_ratingresult WHERE run_id = %(run)s
 ORDER BY rank LIMIT 10)
UNION ALL
(SELECT branch_id, branch_name, total, rank FROM assessments_ratingresult WHERE run_id = %(run)s
 ORDER BY rank DESC LIMIT 10)
""",
    ),
    (
        "projects by status, direction and grade",
        "SELECT status, direction, grade, count(*) FROM projects_project WHERE year = %(year)s GROUP BY 1, 2, 3",
    ),
    (
        "overdue milestones",
        f"""
SELECT count(*) FROM projects_milestone m JOIN projects_project p ON p.id = m.project_id
WHERE p.year = %(year)s AND p.status IN {RUNNING} AND m.completed_on IS NULL AND m.planned_on < %(today)s
""",
    ),
    (
        "meetings held by branch, kind and month (the completion heat map's input)",
        """
SELECT branch_id, kind, extract(month FROM held_on)::int AS month, count(*) AS n,
       count(DISTINCT party_group_id) AS groups
FROM branches_meeting WHERE held_on BETWEEN %(year_start)s AND %(today)s GROUP BY 1, 2, 3
""",
    ),
    (
        "committee term sizes and exemptions (what was due)",
        """
SELECT t.branch_id, t.elected_on, count(s.id) FROM branches_committeeterm t
LEFT JOIN branches_committeemember s ON s.term_id = t.id GROUP BY t.id
UNION ALL
SELECT branch_id, starts_on, 0 FROM branches_requirementexemption WHERE ends_on >= %(year_start)s
""",
    ),
    (
        "一岗双责 filing per period",
        """
SELECT p.id, p.half, count(mem.id) AS owed,
       count(r.id) FILTER (WHERE r.status IN ('submitted', 'accepted')) AS filed
FROM assessments_dutyreportperiod p
CROSS JOIN branches_member mem JOIN branches_branch b ON b.id = mem.branch_id AND b.dissolved_on IS NULL
LEFT JOIN assessments_dutyreport r ON r.member_id = mem.id AND r.period_id = p.id
WHERE p.year = %(year)s AND mem.is_leader GROUP BY p.id, p.half
""",
    ),
    (
        "open and overdue ledger items",
        f"""
SELECT status, count(*), count(*) FILTER (WHERE deadline < %(today)s AND status IN {OPEN_PROBLEM})
FROM assessments_problem GROUP BY status
""",
    ),
    (
        "organisation warnings by kind",
        _BRANCH_STATS.format(where="WHERE b.dissolved_on IS NULL")
        + """
SELECT count(*) FILTER (WHERE w_too_few), count(*) FILTER (WHERE w_needs_committee),
       count(*) FILTER (WHERE w_committee_size), count(*) FILTER (WHERE w_too_many),
       count(*) FILTER (WHERE w_no_secretary), count(*) FILTER (WHERE w_term_expired)
FROM flags
""",
    ),
    BELL,
]

FLOORS = {
    "dashboard": DASHBOARD,
    "branch_list": BRANCH_LIST,
    "project_page": PROJECT_PAGE,
    "secretary_home": SECRETARY_HOME,
}

# Which crawled pages have a floor: (URL name, roles it was written for or None for any role, floor).
# The dashboard, branch list and home floors fetch what those pages show to the role named (工委 sees
# every branch; the secretary's home is the secretary's own); the project floor takes the project from
# the crawled URL, so it fits every role's project page.
FLOOR_MATCHES = [
    ("portal:dashboard", ("gongwei",), "dashboard"),
    ("branches:branch_list", ("gongwei",), "branch_list"),
    ("projects:project_detail", None, "project_page"),
    ("home", ("shuji",), "secretary_home"),
]


def floor_for(view_name: str, role: str) -> str | None:
    """The name of the floor that fits `role`'s page of URL name `view_name`, or None."""
    for name, roles, floor in FLOOR_MATCHES:
        if name == view_name and (roles is None or role in roles):
            return floor
    return None
