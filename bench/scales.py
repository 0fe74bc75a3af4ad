"""The sizes `make bench` builds: one PostgreSQL database per scale, seeded by `seed_demo`."""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Scale:
    """A seeded organisation: `seed_demo` options and the database that holds it."""

    name: str
    database: str
    organs: int
    branches: int
    members_per_branch: int
    years: int
    seed: int = 2026

    def seed_args(self) -> list[str]:
        return [
            f"--organs={self.organs}",
            f"--branches={self.branches}",
            f"--members-per-branch={self.members_per_branch}",
            f"--years={self.years}",
            f"--seed={self.seed}",
        ]

    def signature(self) -> str:
        """What the database comment records once a build has finished; a build that stopped has none."""
        return (
            f"partybuild bench {self.name}: organs={self.organs} branches={self.branches} "
            f"members_per_branch={self.members_per_branch} years={self.years} seed={self.seed}"
        )

    def as_dict(self) -> dict:
        return asdict(self)


# Xuzhou: 90 municipal organs, 755 branches, ~20,000 members; five years of meetings and reports.
XUZHOU = Scale("xuzhou", "partybuild_bench_xuzhou", organs=90, branches=755, members_per_branch=26, years=5)
# A province's organs: ten times the branches and members, spread over 900 organs so each organ keeps the
# city's ~8 branches. Two years of meetings (last year and this one), not five: see the README's 性能测试.
PROVINCE = Scale("province", "partybuild_bench_province", organs=900, branches=7500, members_per_branch=26, years=2)
# The smoke test's size: seconds to build.
TINY = Scale("tiny", "partybuild_bench_tiny", organs=3, branches=8, members_per_branch=8, years=2)

SCALES = {s.name: s for s in (XUZHOU, PROVINCE, TINY)}
