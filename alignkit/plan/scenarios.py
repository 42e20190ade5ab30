"""What moving a lever is worth: projected pipeline and revenue against today.

A scenario starts from a :class:`Baseline` (leads a month, MQL and SQL
conversion, win rate, deal size and how many MQLs are contacted within the
hour) and applies :class:`Levers`. The projection is plain funnel arithmetic::

    MQLs     = leads x lead->MQL
    SQLs     = MQLs x MQL->SQL x speed factor
    won      = SQLs x SQL->won
    pipeline = SQLs x deal size          (qualified pipeline created a month)
    revenue  = won x deal size

**Speed to lead, modelled conservatively.** Harvard Business Review found
that firms trying to reach a prospect within an hour were nearly seven times
as likely to have a meaningful conversation with a decision maker as firms
that waited longer. A conversation is not a qualified deal, so alignkit
assumes only that an MQL reached within the hour becomes an SQL
:data:`SPEED_MULTIPLIER` (1.5) times as often as one reached later. With a
share ``s`` reached fast today and ``s'`` after the change, the MQL->SQL rate
is scaled by ``(1 + (k - 1) s') / (1 + (k - 1) s)`` with ``k`` = 1.5: moving
from 20% to 60% of MQLs reached within the hour lifts MQL->SQL by about 18%,
not sevenfold.

**One definition, two languages.** The arithmetic lives in a few small
functions (:data:`MODEL_FUNCTIONS`: :func:`funnel_figures`, :func:`lever_changes`,
:func:`relative_change` and :func:`change_share`), written in a subset of Python that
:func:`model_javascript` translates line by line into JavaScript. The offline
scenario page of a report runs that translation, so the numbers a client sees
in the browser are computed by the same steps, in the same order, as the
numbers in the report.

The one I/O function, :func:`load_funnel_snapshot`, reads a company's leads
through the funnel modules when they and the data exist, and otherwise
returns an empty snapshot so that callers fall back to stated assumptions.
Speed to lead is counted as in :mod:`alignkit.analysis.funnel`: hours from the MQL
date to the first sales touch, an untouched MQL never counting as fast.
"""

from __future__ import annotations

import ast
import inspect
import math
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from alignkit.plan.sla import DEFAULT_RATES, FunnelRates, ServiceLevelAgreement
from alignkit.text.money import DEFAULT_CURRENCY, format_money

__all__ = [
    "FAST_CONTACT_DEFAULT",
    "PRESETS",
    "SPEED_MULTIPLIER",
    "Baseline",
    "FunnelSnapshot",
    "Levers",
    "Projection",
    "baseline_from_sla",
    "baseline_from_snapshot",
    "change_share",
    "compare_scenarios",
    "funnel_figures",
    "lever_changes",
    "lever_effects",
    "lever_values",
    "levers_from_values",
    "load_funnel_snapshot",
    "model_javascript",
    "project",
    "relative_change",
    "scenario_table",
    "snapshot_from_leads",
    "speed_factor",
]

#: How much more often an MQL reached within the hour becomes an SQL (see module notes).
SPEED_MULTIPLIER = 1.5
#: Share of MQLs contacted within an hour assumed when the CRM data cannot tell.
FAST_CONTACT_DEFAULT = 0.25
_DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Baseline:
    """The funnel today, per month. ``source`` is ``"crm"`` (measured) or ``"plan"``."""

    leads_per_month: float
    lead_to_mql: float
    mql_to_sql: float
    sql_to_won: float
    deal_size: float
    fast_contact_share: float = FAST_CONTACT_DEFAULT
    source: str = "plan"


@dataclass(frozen=True)
class Levers:
    """Changes to try. Relative changes are shares: ``0.1`` = 10% more than today.

    ``fast_contact_gain`` adds percentage points (as a share) to the share of
    MQLs contacted within an hour, capped at 100%.
    """

    lead_volume: float = 0.0
    mql_to_sql: float = 0.0
    sql_to_won: float = 0.0
    deal_size: float = 0.0
    fast_contact_gain: float = 0.0


@dataclass(frozen=True)
class Projection:
    """Projected funnel per month."""

    leads: float
    mqls: float
    sqls: float
    won: float
    pipeline: float
    revenue: float


#: Preset scenarios shown in batch reports, where nobody moves a slider. Kept modest on
#: purpose: research ties alignment to growth of up to 20% a year (Aberdeen Group), so a
#: plan promising much more than that would not be believed.
PRESETS: dict[str, Levers] = {
    "Conservative": Levers(mql_to_sql=0.02, fast_contact_gain=0.10),
    "Expected": Levers(lead_volume=0.02, mql_to_sql=0.04, sql_to_won=0.02, fast_contact_gain=0.15),
    "Ambitious": Levers(lead_volume=0.05, mql_to_sql=0.06, sql_to_won=0.04,
                        fast_contact_gain=0.25),
}


def speed_factor(share_before: float, share_after: float,
                 multiplier: float = SPEED_MULTIPLIER) -> float:
    """Factor on MQL->SQL when the share of MQLs reached within the hour changes.

    Examples
    --------
    >>> round(speed_factor(0.2, 0.6), 4)
    1.1818
    >>> speed_factor(0.3, 0.3)
    1.0
    """
    lift = multiplier - 1
    return (1 + lift * share_after) / (1 + lift * share_before)


def funnel_figures(leads_per_month: float, lead_to_mql: float, mql_to_sql: float,
                   sql_to_won: float, deal_size: float, fast_contact_share: float,
                   lead_volume: float, mql_change: float, won_change: float,
                   deal_change: float, fast_contact_gain: float,
                   multiplier: float) -> tuple[float, float, float, float, float, float]:
    """The scenario model itself: leads, MQLs, SQLs, won, pipeline and revenue a month.

    The first six arguments are today's funnel (a :class:`Baseline`), the next
    five the :class:`Levers`, the last the speed-to-lead multiplier. Rates are
    capped at 100% after every lever is applied. Written in the subset of
    Python that :func:`model_javascript` translates: keep it to assignments,
    arithmetic, ``min``/``max`` and one ``return``.
    """
    fast_after = min(1.0, max(0.0, fast_contact_share + fast_contact_gain))
    lift = multiplier - 1
    speed = (1 + lift * fast_after) / (1 + lift * fast_contact_share)
    leads = leads_per_month * (1 + lead_volume)
    mqls = leads * lead_to_mql
    rate = mql_to_sql * (1 + mql_change) * speed
    sqls = mqls * min(1.0, rate)
    won = sqls * min(1.0, sql_to_won * (1 + won_change))
    deal = deal_size * (1 + deal_change)
    return leads, mqls, sqls, won, sqls * deal, won * deal


def relative_change(value: float, before: float) -> float:
    """``value`` against ``before`` as a share (``0.1`` = 10% more); 0 when ``before`` is 0.

    >>> round(relative_change(440, 400), 4), relative_change(5, 0)
    (0.1, 0.0)
    """
    return value / before - 1 if before else 0.0


def change_share(value: float, before: float) -> float:
    """The change from ``before`` to ``value`` as a share of ``before``; NaN when it is 0."""
    return (value - before) / before if before else math.nan


def project(baseline: Baseline, levers: Levers | None = None, *,
            multiplier: float = SPEED_MULTIPLIER) -> Projection:
    """Projected leads, MQLs, SQLs, won deals, pipeline and revenue per month.

    Rates are capped at 100% after every lever is applied (:func:`funnel_figures`).
    """
    b, lv = baseline, levers or Levers()
    return Projection(*funnel_figures(
        b.leads_per_month, b.lead_to_mql, b.mql_to_sql, b.sql_to_won, b.deal_size,
        b.fast_contact_share, lv.lead_volume, lv.mql_to_sql, lv.sql_to_won, lv.deal_size,
        lv.fast_contact_gain, multiplier))


def compare_scenarios(baseline: Baseline,
                      scenarios: Mapping[str, Levers] | None = None) -> pd.DataFrame:
    """Today and each scenario side by side, per month.

    Returns
    -------
    pandas.DataFrame
        ``scenario, leads, mqls, sqls, won, pipeline, revenue, revenue_change,
        revenue_change_pct``; the first row is ``"Today"``.
    """
    chosen = {"Today": Levers(), **(PRESETS if scenarios is None else dict(scenarios))}
    rows = [{"scenario": name, **vars(project(baseline, levers))}
            for name, levers in chosen.items()]
    frame = pd.DataFrame(rows)
    today = frame["revenue"].iloc[0]
    frame["revenue_change"] = frame["revenue"] - today
    frame["revenue_change_pct"] = frame["revenue_change"] / today if today else np.nan
    return frame


def lever_changes(leads_per_month: float, mql_to_sql: float, sql_to_won: float,
                  deal_size: float, fast_contact_share: float, today_leads: float,
                  today_mql_to_sql: float, today_sql_to_won: float, today_deal_size: float,
                  today_fast_share: float) -> tuple[float, float, float, float, float]:
    """The lever values (lead volume, MQL->SQL, SQL->won, deal size, fast-contact gain)
    that turn today's figures into the given ones; translated like :func:`funnel_figures`."""
    lead_volume = relative_change(leads_per_month, today_leads)
    mql_change = relative_change(mql_to_sql, today_mql_to_sql)
    won_change = relative_change(sql_to_won, today_sql_to_won)
    deal_change = relative_change(deal_size, today_deal_size)
    return lead_volume, mql_change, won_change, deal_change, fast_contact_share - today_fast_share


def levers_from_values(baseline: Baseline, *, leads_per_month: float, mql_to_sql: float,
                       sql_to_won: float, deal_size: float, fast_contact_share: float) -> Levers:
    """The levers that turn ``baseline`` into the given values (as a slider sets them).

    ``mql_to_sql`` is the rate before the speed-to-lead effect, which
    ``fast_contact_share`` adds on top.
    """
    b = baseline
    changes = lever_changes(leads_per_month, mql_to_sql, sql_to_won, deal_size,
                            fast_contact_share, b.leads_per_month, b.mql_to_sql, b.sql_to_won,
                            b.deal_size, b.fast_contact_share)
    return Levers(*changes)


#: The functions of the model, in the order :func:`model_javascript` writes them.
MODEL_FUNCTIONS: tuple[Callable[..., Any], ...] = (funnel_figures, lever_changes,
                                                   relative_change, change_share)
_JS_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def _js_expression(node: ast.expr, known: frozenset[str]) -> str:
    """One expression of the model subset as JavaScript, every operation in parentheses."""
    if isinstance(node, ast.BinOp) and type(node.op) in _JS_OPERATORS:
        return (f"({_js_expression(node.left, known)} {_JS_OPERATORS[type(node.op)]} "
                f"{_js_expression(node.right, known)})")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return f"(-{_js_expression(node.operand, known)})"
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return repr(node.value)
    if isinstance(node, ast.Attribute) and ast.unparse(node) == "math.nan":
        return "NaN"
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Tuple):
        return "[" + ", ".join(_js_expression(e, known) for e in node.elts) + "]"
    if isinstance(node, ast.IfExp) and isinstance(node.test, ast.Name):
        # Python's truth of a float: anything but zero (NaN included), as `!== 0` in JavaScript
        return (f"({node.test.id} !== 0 ? {_js_expression(node.body, known)} : "
                f"{_js_expression(node.orelse, known)})")
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords
            and (node.func.id in ("min", "max") or node.func.id in known)):
        name = f"Math.{node.func.id}" if node.func.id in ("min", "max") else node.func.id
        return f"{name}(" + ", ".join(_js_expression(a, known) for a in node.args) + ")"
    raise ValueError(f"the scenario model uses {ast.unparse(node)!r}, which has no "
                     "JavaScript translation; keep the model to arithmetic, min and max")


def _js_function(function: Callable[..., Any], known: frozenset[str]) -> str:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function))).body[0]
    if not isinstance(tree, ast.FunctionDef):
        raise ValueError(f"{function!r} is not a plain function")
    lines = [f"function {tree.name}({', '.join(a.arg for a in tree.args.args)}) {{"]
    for statement in tree.body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # the docstring
        if (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)):
            lines.append(f"  const {statement.targets[0].id} = "
                         f"{_js_expression(statement.value, known)};")
        elif isinstance(statement, ast.Return) and statement.value is not None:
            lines.append(f"  return {_js_expression(statement.value, known)};")
        else:
            raise ValueError(f"the scenario model has a statement with no JavaScript "
                             f"translation: {ast.unparse(statement)!r}")
    return "\n".join([*lines, "}"])


def model_javascript() -> str:
    """The scenario model as JavaScript, translated from :data:`MODEL_FUNCTIONS`.

    Each function keeps its name, its arguments and the order of its
    operations, so a browser computes bit for bit what :func:`project` does
    (both use IEEE double arithmetic). ``SPEED_MULTIPLIER`` comes along as a
    constant.

    Raises
    ------
    ValueError
        When a model function uses Python the translation does not know.
    """
    known = frozenset(f.__name__ for f in MODEL_FUNCTIONS)
    parts = [f"const SPEED_MULTIPLIER = {SPEED_MULTIPLIER!r};"]
    parts += [_js_function(function, known) for function in MODEL_FUNCTIONS]
    return "\n".join(parts) + "\n"


def lever_values(baseline: Baseline, levers: Levers) -> dict[str, float]:
    """The funnel figures a scenario assumes: leads a month, rates, share reached fast, deal."""
    return {"leads_per_month": baseline.leads_per_month * (1 + levers.lead_volume),
            "mql_to_sql": baseline.mql_to_sql * (1 + levers.mql_to_sql),
            "sql_to_won": baseline.sql_to_won * (1 + levers.sql_to_won),
            "fast_contact_share": min(1.0, max(0.0, baseline.fast_contact_share
                                               + levers.fast_contact_gain)),
            "deal_size": baseline.deal_size * (1 + levers.deal_size)}


def _lever_steps(baseline: Baseline) -> list[tuple[str, Levers, str]]:
    """One realistic step per lever, in the units people use for it."""
    b = baseline
    fast = min(1.0, b.fast_contact_share + 0.2)
    return [
        ("lead_volume", Levers(lead_volume=0.1), "10% more leads"),
        ("mql_to_sql", Levers(mql_to_sql=0.05 / b.mql_to_sql),
         f"MQL\u2192SQL up 5 points ({b.mql_to_sql:.0%} to {b.mql_to_sql + 0.05:.0%})"),
        ("sql_to_won", Levers(sql_to_won=0.05 / b.sql_to_won),
         f"SQL\u2192won up 5 points ({b.sql_to_won:.0%} to {b.sql_to_won + 0.05:.0%})"),
        ("deal_size", Levers(deal_size=0.1), "Deals 10% larger"),
        ("fast_contact_gain", Levers(fast_contact_gain=fast - b.fast_contact_share),
         f"MQLs reached within the hour ({b.fast_contact_share:.0%} to {fast:.0%})"),
    ]


def lever_effects(baseline: Baseline) -> pd.DataFrame:
    """What each lever alone is worth: ``lever, label, revenue, revenue_change,
    revenue_change_pct`` per month, largest effect first.

    The steps are 10% more leads, 5 points better MQL->SQL and SQL->won, 10%
    larger deals and 20 more points of MQLs reached within the hour.
    """
    today = project(baseline).revenue
    rows = []
    for lever, levers, label in _lever_steps(baseline):
        revenue = project(baseline, levers).revenue
        rows.append({"lever": lever, "label": label, "revenue": revenue,
                     "revenue_change": revenue - today,
                     "revenue_change_pct": (revenue - today) / today if today else np.nan})
    frame = pd.DataFrame(rows)
    return frame.sort_values("revenue_change", ascending=False, kind="stable").reset_index(drop=True)


def scenario_table(baseline: Baseline, comparison: pd.DataFrame,
                   scenarios: Mapping[str, Levers] | None = None, *,
                   currency: str = DEFAULT_CURRENCY) -> pd.DataFrame:
    """Display table: what each scenario assumes and what it yields per month."""
    chosen = {"Today": Levers(), **(PRESETS if scenarios is None else dict(scenarios))}
    rows = []
    for (name, levers), result in zip(chosen.items(), comparison.itertuples(index=False),
                                      strict=True):
        v = lever_values(baseline, levers)
        change = "" if name == "Today" else f" ({result.revenue_change_pct:+.0%})"
        rows.append({"Scenario": name, "Leads a month": f"{v['leads_per_month']:,.0f}",
                     "MQL\u2192SQL": f"{v['mql_to_sql']:.1%}",
                     "SQL\u2192won": f"{v['sql_to_won']:.1%}",
                     "Reached within the hour": f"{v['fast_contact_share']:.0%}",
                     "Average deal": format_money(v["deal_size"], currency),
                     "Won deals": f"{result.won:.1f}",
                     "Value of new SQLs": format_money(result.pipeline, currency),
                     "Revenue": f"{format_money(result.revenue, currency)}{change}"})
    return pd.DataFrame(rows).set_index("Scenario").rename_axis(None)


def baseline_from_sla(sla: ServiceLevelAgreement,
                      fast_contact_share: float = FAST_CONTACT_DEFAULT) -> Baseline:
    """A baseline that is the agreement itself: the volumes the SLA asks for.

    Used when no CRM data is available: scenarios then show what the levers
    are worth on top of the plan.
    """
    rates = sla.rates
    return Baseline(leads_per_month=float(sla.volumes["per_month"].iloc[0]),
                    lead_to_mql=rates.lead_to_mql, mql_to_sql=rates.mql_to_sql,
                    sql_to_won=rates.sql_to_won, deal_size=sla.goal.deal_size,
                    fast_contact_share=fast_contact_share, source="plan")


@dataclass(frozen=True)
class FunnelSnapshot:
    """What a company's CRM data says about its marketing-sourced funnel.

    Every figure is ``None`` when it cannot be measured; ``rates`` then holds
    the planning assumptions (see :attr:`FunnelRates.measured`).
    """

    rates: FunnelRates
    months: float | None = None
    leads_per_month: float | None = None
    deal_size: float | None = None
    marketing_share: float | None = None
    revenue_per_month: float | None = None
    fast_contact_share: float | None = None
    within_sla_share: float | None = None
    untouched_share: float | None = None
    sla_hours: float | None = None
    kpis: Mapping[str, float] = field(default_factory=dict)
    mqls_per_month: float | None = None

    def goal_inputs(self) -> dict[str, float | None]:
        """The measured figures :func:`alignkit.plan.sla.choose_goal` can use."""
        return {"revenue_per_month": self.revenue_per_month,
                "marketing_share": self.marketing_share, "deal_size": self.deal_size}

    @property
    def has_data(self) -> bool:
        """True when the company's leads could be read."""
        return self.leads_per_month is not None

    def kpi_baselines(self) -> dict[str, float]:
        """Today's value of the funnel KPIs that could be measured (:mod:`alignkit.analysis.metrics`)."""
        return dict(self.kpis)


def _times(leads: pd.DataFrame, column: str) -> pd.Series:
    if column not in leads:
        return pd.Series(pd.NaT, index=leads.index, dtype="datetime64[ns, UTC]")
    return pd.to_datetime(leads[column], errors="coerce", utc=True, format="mixed")


def _contact_shares(leads: pd.DataFrame, sla_hours: float) -> dict[str, float | None]:
    mql_at, touched = _times(leads, "mql_at"), _times(leads, "first_touch_at")
    mqls = mql_at.notna()
    if mqls.sum() == 0:
        return {"fast_contact_share": None, "within_sla_share": None, "untouched_share": None}
    hours = (touched[mqls] - mql_at[mqls]).dt.total_seconds() / 3600
    return {"fast_contact_share": float((hours <= 1).mean()),
            "within_sla_share": float((hours <= sla_hours).mean()),
            "untouched_share": float(hours.isna().mean())}


def snapshot_from_leads(leads: pd.DataFrame, conversion: pd.DataFrame | None = None, *,
                        sla_hours: float = 24, min_won: int = 5) -> FunnelSnapshot:
    """Summarise a leads frame (one row per lead, as the ``leads`` table holds them).

    Conversion rates and KPI values come from :func:`alignkit.analysis.metrics.measure_funnel`
    (marketing-sourced MQLs), so the scenarios, the SLA and every report share
    one definition of each rate. ``conversion`` is accepted for callers of the
    earlier signature and ignored. Volumes, speed and deal size are measured on
    marketing-sourced leads; ``marketing_share`` is their part of all won
    revenue. Deal size needs at least ``min_won`` won deals with an amount.
    """
    from alignkit.analysis.metrics import measure_funnel

    measures = measure_funnel(leads, sla_hours=sla_hours)
    rates = FunnelRates(**{**DEFAULT_RATES, **measures.rates}, measured=frozenset(measures.rates))
    if leads is None or leads.empty:
        return FunnelSnapshot(rates)
    nothing = pd.Series("", index=leads.index)
    source = leads["source"].astype(str) if "source" in leads else nothing + "marketing"
    outcome = leads["outcome"].astype(str) if "outcome" in leads else nothing
    amounts = pd.to_numeric(leads.get("amount", pd.Series(np.nan, index=leads.index)),
                            errors="coerce")
    months = measures.months or 1.0
    marketing = leads[source == "marketing"]
    won_amounts = amounts[(outcome == "won") & (amounts > 0)]
    mkt_won = won_amounts[source[won_amounts.index] == "marketing"]
    return FunnelSnapshot(
        rates=rates, months=months, leads_per_month=len(marketing) / months,
        deal_size=float(mkt_won.mean()) if len(mkt_won) >= min_won else None,
        marketing_share=float(mkt_won.sum() / won_amounts.sum()) if won_amounts.sum() > 0 else None,
        revenue_per_month=float(won_amounts.sum() / months) if len(won_amounts) else None,
        sla_hours=sla_hours, **_contact_shares(marketing, sla_hours),
        kpis=measures.kpis, mqls_per_month=measures.kpis.get("mqls_delivered"),
    )


def baseline_from_snapshot(snapshot: FunnelSnapshot, fallback: Baseline) -> Baseline:
    """The measured baseline, with ``fallback`` figures wherever the data is silent."""
    if not snapshot.has_data:
        return fallback
    rates = snapshot.rates
    fast = snapshot.fast_contact_share
    return replace(
        fallback, leads_per_month=snapshot.leads_per_month or fallback.leads_per_month,
        lead_to_mql=rates.lead_to_mql, mql_to_sql=rates.mql_to_sql, sql_to_won=rates.sql_to_won,
        deal_size=snapshot.deal_size or fallback.deal_size,
        fast_contact_share=fallback.fast_contact_share if fast is None else fast, source="crm",
    )


def load_funnel_snapshot(workspace: Any, company: str, *, sla_hours: float = 24) -> FunnelSnapshot:
    """Read a company's leads and summarise them; an empty snapshot if there are none.

    The funnel modules (``alignkit.store.funnel.load_leads`` and
    ``alignkit.analysis.funnel.stage_conversion``) are imported here, so an installation
    or workspace without funnel data still gets a plan built on stated
    assumptions (the snapshot's ``has_data`` is then false).
    """
    try:
        from alignkit.store.funnel import load_leads
    except ImportError:
        return FunnelSnapshot(FunnelRates())
    leads = load_leads(workspace, company)
    if leads is None or leads.empty:
        return FunnelSnapshot(FunnelRates())
    return snapshot_from_leads(leads, sla_hours=sla_hours)
