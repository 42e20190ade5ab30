"""Render a stage notebook into a client report: papermill, then nbconvert.

The notebook runs in a fresh kernel with the company's parameters; the
executed notebook is turned into one self-contained HTML file (code hidden,
images embedded, no script loaded from the internet) through the branded
template in ``templates/alignkit``. The HTML is written under a temporary name
and moved into place, so a failed render never replaces a good report.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from alignkit.exceptions import ReportError
from alignkit.privacy import DEFAULT_THRESHOLD, check_threshold
from alignkit.stages import STAGES
from alignkit.store import Workspace

__all__ = ["STAGES", "notebooks_dir", "render_report", "templates_dir"]


_ROOT = Path(__file__).resolve().parent.parent


def notebooks_dir() -> Path:
    """The folder holding the stage notebooks (``$ALIGNKIT_NOTEBOOKS`` overrides)."""
    return Path(os.environ.get("ALIGNKIT_NOTEBOOKS", _ROOT / "notebooks"))


def templates_dir() -> Path:
    """The folder holding the nbconvert templates (``$ALIGNKIT_TEMPLATES`` overrides)."""
    return Path(os.environ.get("ALIGNKIT_TEMPLATES", _ROOT / "templates"))


@dataclass(frozen=True)
class RenderedReport:
    """Where a report went and what it was made from."""

    company: str
    stage: str
    html: Path
    parameters: dict[str, Any]


def _execute(notebook: Path, output: Path, parameters: dict[str, Any], timeout: int) -> Any:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from alignkit.kernel import report_kernel_manager

    km = report_kernel_manager(output.parent / "kernel")
    try:
        return papermill.execute_notebook(
            str(notebook), str(output), parameters=parameters, kernel_name="python3",
            cwd=str(notebook.parent), progress_bar=False, log_output=False,
            execution_timeout=timeout, request_save_on_cell_execute=False, km=km,
        )
    except PapermillExecutionError as err:
        raise ReportError(
            f"{notebook.name} failed in cell {err.exec_count}: {err.ename}: "
            f"{(err.evalue or '').splitlines()[0] if err.evalue else ''} "
            f"(executed notebook kept at {output})"
        ) from None
    except TimeoutError as err:
        raise ReportError(f"{notebook.name} timed out after {timeout} s: {err}") from None
    finally:
        if km.stderr_log is not None:
            km.stderr_log.close()


def _to_html(executed: Any, brand: dict[str, Any]) -> str:
    from nbconvert import HTMLExporter

    for cell in executed.cells:  # warnings on stderr are for us, not for the client
        if cell.get("cell_type") == "code":
            cell["outputs"] = [o for o in cell.get("outputs", [])
                               if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name="alignkit", extra_template_basedirs=[str(templates_dir())],
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={"notebook-only"}), enabled=True
    )
    body, _ = exporter.from_notebook_node(
        executed, resources={"alignkit": brand, "metadata": {"name": brand["title"]}}
    )
    return body


def render_report(
    company: str,
    stage: str,
    out_dir: str | Path,
    *,
    workspace: str | Path | None = None,
    wave: str = "baseline",
    anonymity_min: int = DEFAULT_THRESHOLD,
    timeout: int = 600,
) -> RenderedReport:
    """Execute a stage notebook for one company and write ``<out_dir>/<stage>.html``.

    Raises
    ------
    ReportError
        When the stage is unknown or the notebook fails (the executed notebook
        is kept next to the report as ``<stage>.failed.ipynb``).
    UnknownCompanyError
        When the company is not registered.
    """
    if stage not in STAGES:
        raise ReportError(f"unknown stage '{stage}'; choose one of {', '.join(STAGES)}")
    ws = Workspace(workspace)
    info = ws.company(company)
    if wave not in ws.waves(company):
        ws.answers(company, wave)  # raises the store's message naming the known waves
    check_threshold(anonymity_min)
    notebook = notebooks_dir() / STAGES[stage].notebook
    if not notebook.is_file():
        raise ReportError(f"notebook {notebook.name} not found in {notebook.parent}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    params = {"company": company, "wave": wave, "workspace": str(ws.root),
              "anonymity_min": anonymity_min}
    with tempfile.TemporaryDirectory(prefix="alignkit-") as tmp:
        executed_path = Path(tmp) / notebook.name
        try:
            executed = _execute(notebook, executed_path, params, timeout)
        except ReportError:
            if executed_path.exists():
                os.replace(executed_path, out / f"{stage}.failed.ipynb")
            raise
        from alignkit import __version__

        brand = {"company": info.name, "stage_title": STAGES[stage].title, "title":
                 f"{info.name} · {stage}", "subtitle": f"Survey wave: {wave}",
                 "date": date.today().isoformat(), "anonymity_min": anonymity_min,
                 "brand": "alignkit", "version": __version__}
        html = _to_html(executed, brand)
        target = out / f"{stage}.html"
        partial = out / f".{stage}.html.part"
        partial.write_text(html, encoding="utf-8")
        os.replace(partial, target)
        (out / f"{stage}.failed.ipynb").unlink(missing_ok=True)
    return RenderedReport(company, stage, target, params)
