"""The executive one-pager: what a sponsor reads in two minutes, on one A4 page.

One page per company and cycle: the alignment index and its maturity level,
the company's level on the HBR 2006 framework, the three findings that matter
most, the agreed actions with both owners and their dates, the service level
agreement in two lines and the next date. Every figure is read from the
functions the stage reports use: :func:`alignkit.track.summary.load_engagement`
(and its :meth:`~alignkit.track.summary.Engagement.to_json`, the figures of
``alignkit summary --json``), :func:`alignkit.plan.actions.gap_sizes` and
:func:`alignkit.analysis.drivers.load_drivers`; nothing is computed again here.

The three findings are the facets that move the sense of working as one team
most (driver importance) when the company has a driver view, else the facets
with the largest gap size (the ranking the Plan report builds its actions on).
:func:`company_facts` gathers them once; the steering deck
(:mod:`alignkit.report.deck`) reads the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from alignkit.analysis.anonymity import DEFAULT_THRESHOLD
from alignkit.report.branding import Brand, load_brand
from alignkit.report.formats import CompanyContext

__all__ = ["CompanyFacts", "company_facts", "onepager_html", "onepager_pdf"]

TEMPLATE_FOLDER = "alignkit-onepager"
#: Actions listed on the page; more would not fit one A4 page (the Plan report lists them all).
MAX_ACTIONS = 10
STAGE_WORDS = {"identify": "Identify", "plan": "Plan", "execute": "Execute", "recap": "Recap"}


@dataclass(frozen=True)
class CompanyFacts:
    """One company's key figures as the one-pager and the deck state them.

    ``summary`` is :meth:`Engagement.to_json`; ``findings`` holds up to three
    dicts (``dimension``, ``name``, ``headline``, ``detail``); ``ranked_by`` is
    ``driver impact`` or ``gap size``; ``hbr`` the company's HBR 2006 level
    (``level, level_name, score``) or ``None``; ``next_date`` a dict with
    ``date`` and ``what`` (``date`` may be ``None``).
    """

    engagement: Any
    summary: dict[str, Any]
    drivers: Any
    gaps: pd.DataFrame
    findings: tuple[dict[str, Any], ...]
    ranked_by: str
    hbr: dict[str, Any] | None
    next_date: dict[str, Any]
    sla_lines: tuple[str, str]
    brand: Brand
    stages: tuple[str, ...]
    anonymity_min: int = DEFAULT_THRESHOLD


def _hbr(scores: Any) -> dict[str, Any] | None:
    maturity = getattr(scores, "maturity", None)
    if maturity is None or maturity.empty:
        return None
    rows = maturity[maturity["group"].astype(str) == "overall"]
    if rows.empty or pd.isna(rows["score"].iloc[0]):
        return None
    row = rows.iloc[0]
    return {"level": int(row["level"]), "level_name": str(row["level_name"]),
            "score": float(row["score"]), "framework": str(row.get("framework", "HBR 2006"))}


def _gap_words(row: Any, scores: Any) -> str:
    """Sales and marketing means of a clear perception gap, else the shortfall."""
    gaps = scores.gaps
    if row["reliable"] and not gaps.empty:
        g = gaps[gaps["dimension"] == row["dimension"]].iloc[0]
        return (f"sales {g['a_mean']:.1f} vs marketing {g['b_mean']:.1f}: the two teams see "
                "it clearly differently")
    return "no clear gap between sales and marketing"


def _findings(scores: Any, gaps: pd.DataFrame, drivers: Any) -> tuple[tuple[dict[str, Any], ...], str]:
    if scores is None or gaps.empty:
        return (), "gap size"
    by_dim = gaps.set_index("dimension")
    if drivers is not None and drivers.available and not drivers.table.empty:
        table = drivers.table[drivers.table["dimension"].isin(by_dim.index)]
        # facets that move the outcome and have room to improve first, then the rest by impact
        table = pd.concat([table[table["quadrant"] == "focus area"],
                           table[table["quadrant"] != "focus area"]])
        out = []
        for row in table.head(3).itertuples(index=False):
            g = by_dim.loc[row.dimension]
            out.append({"dimension": row.dimension, "name": str(row.dimension_name),
                        "headline": f"share of R² {row.importance:.3f}, score {g['mean']:.1f} of 5",
                        "detail": _gap_words(g.to_dict() | {"dimension": row.dimension}, scores)})
        return tuple(out), "driver impact"
    out = []
    for g in gaps.head(3).to_dict("records"):
        out.append({"dimension": g["dimension"], "name": str(g["dimension_name"]),
                    "headline": f"gap size {g['gap_size']:.1f}, score {g['mean']:.1f} of 5",
                    "detail": _gap_words(g, scores)})
    return tuple(out), "gap size"


def _next_date(summary: dict[str, Any], as_of: date) -> dict[str, Any]:
    open_actions = [a for a in summary["actions"] if a["status"] in ("planned", "in_progress")]
    ahead = sorted((a for a in open_actions if a["due"] and a["due"] >= as_of.isoformat()),
                   key=lambda a: (a["due"], a["id"]))
    late = [a for a in open_actions if a["late"]]
    if ahead:
        a = ahead[0]
        what = f"action {a['id']} due: {a['title']}"
        if late:
            what += f" ({len(late)} open action{'s' * (len(late) > 1)} already late)"
        return {"date": a["due"], "what": what}
    if late:
        return {"date": None, "what": f"{len(late)} open action{'s' * (len(late) > 1)} past "
                                      "due: agree new dates at the next steering meeting"}
    if not any(a["status"] != "dropped" for a in summary["actions"]):
        return {"date": None, "what": "No action is agreed yet: agree the joint plan"}
    return {"date": None, "what": "Every action is closed: run the follow-up survey and recap"}


def _sla_lines(engagement: Any, sla: dict[str, Any]) -> tuple[str, str]:
    return (f"Marketing delivers {sla['mqls_per_month']} MQLs a month (from about "
            f"{sla['leads_per_month']} leads) toward a revenue goal of "
            f"{engagement.money(sla['revenue_goal'])} per {sla['period']}.",
            f"Sales contacts every MQL within {sla['sla_hours']:g} hours, with "
            f"{sla['attempts']} attempts over {sla['follow_up_days']} days.")


def company_facts(context: CompanyContext) -> CompanyFacts:
    """Load one company's engagement and derive what the one-pager and the deck show."""
    from alignkit.analysis.drivers import load_drivers
    from alignkit.plan.actions import gap_sizes
    from alignkit.store.workspace import as_workspace
    from alignkit.track.summary import load_engagement

    ws = as_workspace(context.workspace)
    eng = load_engagement(context.company, context.wave, workspace=ws, as_of=context.as_of or None,
                          anonymity_min=context.anonymity_min)
    summary = eng.to_json()
    gaps = gap_sizes(eng.scores) if eng.scores is not None else pd.DataFrame()
    drivers = (load_drivers(context.company, context.wave, workspace=ws,
                            anonymity_min=context.anonymity_min)
               if eng.scores is not None else None)
    findings, ranked_by = _findings(eng.scores, gaps, drivers)
    return CompanyFacts(
        engagement=eng, summary=summary, drivers=drivers, gaps=gaps, findings=findings,
        ranked_by=ranked_by, hbr=_hbr(eng.scores) if eng.scores is not None else None,
        next_date=_next_date(summary, eng.as_of), sla_lines=_sla_lines(eng, summary["sla"]),
        brand=context.brand or load_brand(), stages=tuple(context.stages),
        anonymity_min=context.anonymity_min)


def _environment() -> Any:
    import jinja2

    from alignkit.catalog.resources import templates_dir

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir() / TEMPLATE_FOLDER)),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)


def render_onepager(facts: CompanyFacts) -> str:
    """The one-pager's HTML page for ``facts`` (every typed value escaped by the template)."""
    from alignkit import __version__
    from alignkit.track.actions import STATUS_LABELS

    doc = facts.summary
    actions = [{**a, "status_text": STATUS_LABELS.get(a["status"], a["status"])
                + (" (late)" if a["late"] else "")}
               for a in doc["actions"] if a["status"] != "dropped"]
    more = max(0, len(actions) - MAX_ACTIONS)  # one page: the rest are in the Plan report
    return _environment().get_template("onepager.html.j2").render(
        doc=doc, facts=facts, actions=actions[:MAX_ACTIONS], more=more, brand=facts.brand,
        cycle=" → ".join(STAGE_WORDS.get(s, s) for s in facts.stages), version=__version__)


def onepager_html(context: CompanyContext) -> str:
    """The one-pager of ``context.company`` as a self-contained HTML page."""
    return render_onepager(company_facts(context))


def onepager_pdf(context: CompanyContext) -> bytes:
    """The one-pager printed on one A4 page by the system Chromium."""
    from alignkit.report.html import ReportExporter

    if context.exporter is not None:  # a batch's printer: it serves every company
        return context.exporter.to_pdf(onepager_html(context))
    exporter = ReportExporter()
    try:
        return exporter.to_pdf(onepager_html(context))
    finally:
        exporter.close()
