"""The service level agreement builder: from a revenue goal to the leads each side owes.

The arithmetic is the one behind HubSpot's SLA calculator, extended to every
stage of the funnel: the part of the revenue goal that marketing-sourced deals
must bring, divided by the average deal size, gives the customers needed; each
stage's conversion rate then divides its way back up the funnel to
opportunities, SQLs, SALs, MQLs and raw leads. Everything here is pure: plain
numbers and DataFrames in, frozen dataclasses and DataFrames out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from alignkit.exceptions import AlignkitError
from alignkit.text.escaping import escape_markdown
from alignkit.text.money import DEFAULT_CURRENCY, format_money

__all__ = [
    "DEFAULT_GOAL",
    "DEFAULT_RATES",
    "STAGE_LABELS",
    "FunnelRates",
    "RevenueGoal",
    "SalesCommitment",
    "ServiceLevelAgreement",
    "agreement_markdown",
    "assumptions_markdown",
    "build_sla",
    "choose_goal",
    "commitments",
    "count_text",
    "rates_from_conversion",
    "rates_table",
    "volumes_needed",
]

#: Funnel stages in order, with the words a report uses for them.
STAGE_LABELS: dict[str, str] = {
    "lead": "Leads", "mql": "Marketing qualified leads (MQLs)",
    "sal": "Sales accepted leads (SALs)", "sql": "Sales qualified leads (SQLs)",
    "opportunity": "Opportunities", "won": "Customers (won deals)",
}
#: Months in each period a revenue goal can be stated for.
_MONTHS = {"month": 1, "quarter": 3, "year": 12}
#: Weeks in an average month: 52 weeks / 12 months.
WEEKS_PER_MONTH = 52 / 12

# The field of FunnelRates for each step of the funnel.
_STEPS: dict[tuple[str, str], str] = {
    ("lead", "mql"): "lead_to_mql", ("mql", "sal"): "mql_to_sal", ("sal", "sql"): "sal_to_sql",
    ("sql", "opportunity"): "sql_to_opportunity", ("opportunity", "won"): "opportunity_to_won",
}
#: Planning assumptions used when a company has no measured funnel (shares, 0-1).
DEFAULT_RATES: dict[str, float] = {
    "lead_to_mql": 0.25, "mql_to_sal": 0.80, "sal_to_sql": 0.50,
    "sql_to_opportunity": 0.60, "opportunity_to_won": 0.25,
}


def _check_share(name: str, value: float, *, allow_zero: bool = False) -> None:
    ok = (0 <= value <= 1) if allow_zero else (0 < value <= 1)
    if not isinstance(value, int | float) or math.isnan(value) or not ok:
        low = "0" if allow_zero else "above 0"
        raise AlignkitError(f"{name} must be a share from {low} to 1 (e.g. 0.25 for 25%), "
                            f"not {value!r}")


@dataclass(frozen=True)
class FunnelRates:
    """Conversion rate of each funnel step, as shares from 0 to 1.

    ``measured`` names the steps taken from the company's CRM data; the others
    are the planning assumptions of :data:`DEFAULT_RATES`.
    """

    lead_to_mql: float = DEFAULT_RATES["lead_to_mql"]
    mql_to_sal: float = DEFAULT_RATES["mql_to_sal"]
    sal_to_sql: float = DEFAULT_RATES["sal_to_sql"]
    sql_to_opportunity: float = DEFAULT_RATES["sql_to_opportunity"]
    opportunity_to_won: float = DEFAULT_RATES["opportunity_to_won"]
    measured: frozenset[str] = field(default=frozenset(), compare=False)

    def __post_init__(self) -> None:
        for name in _STEPS.values():
            _check_share(name.replace("_", " "), getattr(self, name))

    @property
    def mql_to_sql(self) -> float:
        """Share of MQLs that become SQLs (through acceptance)."""
        return self.mql_to_sal * self.sal_to_sql

    @property
    def sql_to_won(self) -> float:
        """Share of SQLs that end as won deals."""
        return self.sql_to_opportunity * self.opportunity_to_won

    @property
    def lead_to_won(self) -> float:
        """Share of raw leads that end as won deals."""
        return self.lead_to_mql * self.mql_to_sql * self.sql_to_won

    def steps(self) -> list[tuple[str, str, float]]:
        """``(from_stage, to_stage, rate)`` for each step, top of the funnel first."""
        return [(a, b, getattr(self, name)) for (a, b), name in _STEPS.items()]


def rates_from_conversion(conversion: pd.DataFrame | None, *, min_entered: int = 20,
                          defaults: FunnelRates | None = None) -> FunnelRates:
    """Funnel rates from a measured stage-conversion table, defaults where it is thin.

    Parameters
    ----------
    conversion
        Columns ``from_stage, to_stage, entered, converted, rate`` (as
        ``alignkit.analysis.funnel.stage_conversion`` returns them), or ``None``.
    min_entered
        A step measured on fewer leads than this, or with a rate of zero, keeps
        the default: a plan cannot divide by a rate nobody has observed.
    defaults
        Rates to fall back on; :data:`DEFAULT_RATES` if not given.

    Examples
    --------
    >>> table = pd.DataFrame({"from_stage": ["mql"], "to_stage": ["sal"], "entered": [200],
    ...                       "converted": [150], "rate": [0.75]})
    >>> rates = rates_from_conversion(table)
    >>> rates.mql_to_sal, sorted(rates.measured)
    (0.75, ['mql_to_sal'])
    """
    base = defaults or FunnelRates()
    values = {name: getattr(base, name) for name in _STEPS.values()}
    measured: set[str] = set()
    if conversion is not None and not conversion.empty:
        missing = {"from_stage", "to_stage", "entered", "rate"} - set(conversion.columns)
        if missing:
            raise AlignkitError(f"stage conversion table lacks column(s) {', '.join(sorted(missing))}")
        for row in conversion.itertuples(index=False):
            name = _STEPS.get((str(row.from_stage), str(row.to_stage)))
            known = pd.notna(row.entered) and pd.notna(row.rate)
            if name and known and row.entered >= min_entered and 0 < row.rate <= 1:
                values[name] = float(row.rate)
                measured.add(name)
    return FunnelRates(**values, measured=frozenset(measured))


def rates_table(rates: FunnelRates) -> pd.DataFrame:
    """Display table: one row per step with its rate and whether it was measured."""
    rows = [{"Step": f"{STAGE_LABELS[a].split(' (')[0]} \u2192 {STAGE_LABELS[b].split(' (')[0]}",
             "Conversion": f"{rate:.0%}",
             "Source": "measured on marketing-sourced leads in the CRM data"
             if _STEPS[(a, b)] in rates.measured
             else "planning assumption"}
            for a, b, rate in rates.steps()]
    return pd.DataFrame(rows).set_index("Step").rename_axis(None)


@dataclass(frozen=True)
class RevenueGoal:
    """The new-business revenue the two teams plan for.

    Parameters
    ----------
    amount
        Revenue goal in the company's currency for one ``period``.
    period
        ``"month"``, ``"quarter"`` or ``"year"``: what the goal amount covers.
    marketing_share
        Share of the goal that marketing-sourced deals must bring (0-1).
    deal_size
        Average revenue of one won deal.
    """

    amount: float
    period: str
    marketing_share: float
    deal_size: float

    def __post_init__(self) -> None:
        if self.period not in _MONTHS:
            raise AlignkitError(f"revenue goal period must be one of {', '.join(_MONTHS)}, "
                                f"not {self.period!r}")
        if not self.amount > 0 or not self.deal_size > 0:
            raise AlignkitError("revenue goal and average deal size must be positive amounts "
                                f"(got {self.amount!r} and {self.deal_size!r})")
        _check_share("marketing share", self.marketing_share, allow_zero=True)

    @property
    def monthly(self) -> float:
        """The goal per month (a yearly or quarterly goal spread evenly over its months)."""
        return self.amount / _MONTHS[self.period]

    @property
    def marketing_monthly(self) -> float:
        """Monthly revenue that marketing-sourced deals must bring."""
        return self.monthly * self.marketing_share


@dataclass(frozen=True)
class SalesCommitment:
    """What sales promises for every MQL it receives."""

    first_touch_hours: float = 24
    attempts: int = 6
    follow_up_days: int = 14

    def __post_init__(self) -> None:
        if not self.first_touch_hours > 0 or self.attempts < 1 or self.follow_up_days < 1:
            raise AlignkitError("sales commitment needs a first-contact time above 0 hours, at "
                                "least 1 attempt and a follow-up window of at least 1 day")


@dataclass(frozen=True)
class ServiceLevelAgreement:
    """The two-way agreement: volumes marketing owes and the follow-up sales owes.

    ``volumes`` has one row per stage (``stage, label, per_month, per_week,
    commit_month, commit_week``); the ``commit_*`` columns are rounded up to
    whole leads, since a commitment of 49.2 MQLs means 50.
    """

    goal: RevenueGoal
    rates: FunnelRates
    sales: SalesCommitment
    volumes: pd.DataFrame

    def needed(self, stage: str, *, per: str = "month") -> int:
        """Whole number of ``stage`` items needed per ``month`` or ``week``."""
        row = self.volumes.loc[self.volumes["stage"] == stage]
        return int(row[f"commit_{per}"].iloc[0])

    @property
    def attempts_per_week(self) -> int:
        """Most contact attempts sales must make in a week: MQLs a week x attempts."""
        per_week = self.volumes.loc[self.volumes["stage"] == "mql", "per_week"].iloc[0]
        return _ceil(per_week * self.sales.attempts)


def _ceil(value: float) -> int:
    return math.ceil(round(value, 6))  # 50.0000000001 is 50, not 51


def count_text(value: float) -> str:
    """A needed count as a report states it: whole and rounded up from 10, else to 0.1.

    Examples
    --------
    >>> count_text(49.2), count_text(2.24), count_text(0.115), count_text(3.0)
    ('50', '2.3', '0.2', '3')
    """
    if value >= 10:
        return f"{_ceil(value):,}"
    return f"{math.ceil(round(value * 10, 6)) / 10:g}"


def volumes_needed(goal: RevenueGoal, rates: FunnelRates) -> pd.DataFrame:
    """Items needed at each funnel stage per month and per week to reach ``goal``.

    customers = monthly goal x marketing share / deal size; every stage above
    is the stage below divided by the conversion rate between them. Per week
    is per month / (52 / 12).

    Examples
    --------
    >>> goal = RevenueGoal(1_200_000, "year", 0.6, 20_000)
    >>> volumes_needed(goal, FunnelRates())["per_month"].round(2).tolist()
    [200.0, 50.0, 40.0, 20.0, 12.0, 3.0]
    """
    needed = {"won": goal.marketing_monthly / goal.deal_size}
    for (upper, lower), name in reversed(_STEPS.items()):
        needed[upper] = needed[lower] / getattr(rates, name)
    order = list(STAGE_LABELS)
    per_month = [needed[s] for s in order]
    frame = pd.DataFrame({"stage": order, "label": [STAGE_LABELS[s] for s in order],
                          "per_month": per_month,
                          "per_week": [v / WEEKS_PER_MONTH for v in per_month]})
    frame["commit_month"] = [_ceil(v) for v in frame["per_month"]]
    frame["commit_week"] = [_ceil(v) for v in frame["per_week"]]
    return frame


def build_sla(goal: RevenueGoal, rates: FunnelRates,
              sales: SalesCommitment | None = None) -> ServiceLevelAgreement:
    """The service level agreement for ``goal`` at the given funnel ``rates``."""
    return ServiceLevelAgreement(goal, rates, sales or SalesCommitment(),
                                 volumes_needed(goal, rates))


def _money(value: float, currency: str) -> str:
    """An amount for a Markdown sentence: a ``$`` sign must not open math."""
    return escape_markdown(format_money(value, currency))


def _period_words(goal: RevenueGoal) -> str:
    return f"a {goal.period}"


def commitments(sla: ServiceLevelAgreement) -> dict[str, list[str]]:
    """Each side's promises as short sentences (``**bold**`` marks the figures)."""
    sales = sla.sales
    hours = f"{sales.first_touch_hours:g} hour" + ("" if sales.first_touch_hours == 1 else "s")
    return {
        "marketing": [
            f"Deliver **{sla.needed('mql')} MQLs a month** (about {sla.needed('mql', per='week')}"
            " a week) that meet the agreed MQL definition",
            f"Generate about **{sla.needed('lead')} new leads a month** to feed them",
            "Report lead volume and quality against this agreement every month",
        ],
        "sales": [
            f"Make first contact with every MQL **within {hours}** of hand-over",
            f"Make **{sales.attempts} attempts over {sales.follow_up_days} days** before "
            "returning a lead, with a reason",
            "Record the outcome of every MQL so marketing learns what closes",
        ],
    }


def _exact(sla: ServiceLevelAgreement, stage: str) -> str:
    return count_text(float(sla.volumes.loc[sla.volumes["stage"] == stage, "per_month"].iloc[0]))


def agreement_markdown(sla: ServiceLevelAgreement, *, company: str,
                       currency: str = DEFAULT_CURRENCY) -> str:
    """The agreement both teams sign, as Markdown: each side's commitments and why."""
    goal = sla.goal
    sides = commitments(sla)
    rows = [f"| {m} | {s} |" for m, s in zip(sides["marketing"], sides["sales"], strict=True)]
    sales_sourced = goal.monthly - goal.marketing_monthly
    return "\n".join([
        f"**Why these numbers.** {escape_markdown(company)} plans for "
        f"**{_money(goal.amount, currency)} of new revenue {_period_words(goal)}** "
        f"({_money(goal.monthly, currency)} a month). "
        f"Marketing-sourced deals are to bring **{goal.marketing_share:.0%}** of it, "
        f"{_money(goal.marketing_monthly, currency)} a month, at an average deal of "
        f"{_money(goal.deal_size, currency)}.",
        "",
        "| Marketing commits to | Sales commits to |",
        "|:---|:---|",
        *rows,
        "",
        f"**What it adds up to.** At the conversion rates below, {sla.needed('mql')} MQLs a month "
        f"become about {_exact(sla, 'sql')} SQLs, {_exact(sla, 'opportunity')} opportunities and "
        f"**{_exact(sla, 'won')} won {'deal' if _exact(sla, 'won') == '1' else 'deals'}**. "
        "Sales-sourced deals bring the remaining "
        f"{_money(sales_sourced, currency)} a month. Following up fully takes up to "
        f"{sla.attempts_per_week} contact attempts a week.",
    ])


#: The goal used when neither the consultant nor the CRM data states one.
DEFAULT_GOAL = RevenueGoal(amount=2_400_000, period="year", marketing_share=0.5, deal_size=25_000)


def choose_goal(*, amount: float | None = None, period: str = "year",
                marketing_share: float | None = None, deal_size: float | None = None,
                growth: float = 0.2,
                measured: Mapping[str, float | None] | None = None) -> tuple[RevenueGoal, dict[str, str]]:
    """The revenue goal to plan for, and where each of its figures comes from.

    A figure given by the consultant wins; otherwise it is measured in the CRM
    data (``measured``: ``revenue_per_month`` of won deals from all sources,
    ``marketing_share`` of that revenue, ``deal_size`` of marketing-sourced
    deals; the goal is then that revenue plus ``growth``); otherwise it is
    taken from :data:`DEFAULT_GOAL`. The second value maps ``amount``,
    ``marketing_share`` and ``deal_size`` to ``"stated"``, ``"measured"`` or
    ``"assumed"``.

    Examples
    --------
    >>> goal, origin = choose_goal(amount=600_000, measured={"deal_size": 12_000})
    >>> goal.amount, goal.deal_size, origin["marketing_share"]
    (600000.0, 12000.0, 'assumed')
    """
    seen = dict(measured or {})
    per_period = _MONTHS.get(period, 12)
    revenue = seen.get("revenue_per_month")
    found = {"amount": revenue * per_period * (1 + growth) if revenue else None,
             "marketing_share": seen.get("marketing_share"), "deal_size": seen.get("deal_size")}
    given = {"amount": amount, "marketing_share": marketing_share, "deal_size": deal_size}
    default = {"amount": DEFAULT_GOAL.amount * per_period / 12,
               "marketing_share": DEFAULT_GOAL.marketing_share,
               "deal_size": DEFAULT_GOAL.deal_size}
    values, origin = {}, {}
    for key in given:
        for label, candidate in (("stated", given[key]), ("measured", found[key]),
                                 ("assumed", default[key])):
            if candidate is not None and not pd.isna(candidate):
                values[key], origin[key] = float(candidate), label
                break
    if origin["amount"] == "measured":
        values["amount"] = float(f"{values['amount']:.3g}")  # a goal people can remember
    return RevenueGoal(period=period, **values), origin


_ORIGIN_WORDS = {
    "amount": {"stated": "as stated by the company",
               "measured": "the won revenue in the CRM data, plus {growth:.0%} growth",
               "assumed": "a planning assumption: no goal was given and no CRM data is stored"},
    "marketing_share": {"stated": "as stated by the company",
                        "measured": "the share of won revenue that marketing-sourced deals "
                                    "brought in the CRM data",
                        "assumed": "a planning assumption"},
    "deal_size": {"stated": "as stated by the company",
                  "measured": "the average won marketing-sourced deal in the CRM data",
                  "assumed": "a planning assumption"},
}


def assumptions_markdown(goal: RevenueGoal, origin: Mapping[str, str], rates: FunnelRates, *,
                         currency: str = DEFAULT_CURRENCY, growth: float = 0.2) -> str:
    """Where every input of the agreement comes from, as a Markdown list."""
    words = {key: text.format(growth=growth) for key, text in
             ((k, _ORIGIN_WORDS[k][origin.get(k, "assumed")]) for k in _ORIGIN_WORDS)}
    measured = len(rates.measured)
    if measured == len(_STEPS):
        rate_words = "all measured in the company's CRM data"
    elif measured:
        rate_words = (f"{measured} of {len(_STEPS)} measured in the CRM data; the others are "
                      "planning assumptions (too few leads to measure them)")
    else:
        rate_words = ("planning assumptions, because no CRM funnel data is stored for this "
                      "company yet; importing its CRM export replaces them with measured rates")
    return "\n".join([
        f"- **Revenue goal** {_money(goal.amount, currency)} {_period_words(goal)}: "
        f"{words['amount']}.",
        f"- **Marketing-sourced share** {goal.marketing_share:.0%}: {words['marketing_share']}.",
        f"- **Average deal** {_money(goal.deal_size, currency)}: {words['deal_size']}.",
        f"- **Conversion rates**: {rate_words}.",
    ])
