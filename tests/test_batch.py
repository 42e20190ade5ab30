"""The report factory: parallel, isolated, incremental, atomic, on a pool or a Dask cluster.

Real runs use the Identify notebook on the demo workspace (three companies).
Failure, timeout, isolation and stress cases use tiny stage notebooks written
under ``tmp_path`` and selected with ``$ALIGNKIT_NOTEBOOKS``.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from alignkit.catalog.stages import STAGES
from alignkit.cli.app import main
from alignkit.demo import DEMO_COMPANIES, build_demo_workspace, write_demo_survey
from alignkit.exceptions import ReportError, UnknownCompanyError
from alignkit.factory.batch import render_batch
from alignkit.intake.survey import import_survey
from alignkit.report.render import notebooks_dir
from alignkit.store.workspace import Workspace

SLUGS = sorted(c.slug for c in DEMO_COMPANIES)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_workspace(tmp_path_factory.mktemp("demo")).root


@pytest.fixture(scope="module")
def rendered(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Identify reports of the three demo companies, rendered once by a batch."""
    out = tmp_path_factory.mktemp("batch") / "reports"
    result = render_batch(demo, out_dir=out, stages=["identify"], workers=2)
    assert result.counts == {"ok": 3, "failed": 0, "skipped": 0}
    return out


def _copy(rendered: Path, tmp_path: Path) -> Path:
    out = tmp_path / "reports"
    shutil.copytree(rendered, out)
    return out


def _manifest(out: Path) -> dict[tuple[str, str], dict]:
    data = json.loads((out / "manifest.json").read_text())
    return {(r["company"], r["stage"]): r for r in data["reports"]}


def write_stage_notebooks(folder: Path, *sources: str, stages=("identify",)) -> Path:
    """Tiny stage notebooks: the parameters cell, then ``sources`` as code cells."""
    folder.mkdir(parents=True, exist_ok=True)
    for stage in stages:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        params = nbformat.v4.new_code_cell(
            'company = "x"\nwave = "baseline"\nworkspace = ""\nanonymity_min = 5')
        params.metadata["tags"] = ["parameters"]
        nb.cells = [params, nbformat.v4.new_markdown_cell(f"# {stage} for the client"),
                    *(nbformat.v4.new_code_cell(s) for s in sources)]
        nbformat.write(nb, folder / STAGES[stage].notebook)
    return folder


# -- a real batch ---------------------------------------------------------------
def test_batch_writes_reports_indexes_and_a_manifest(rendered: Path) -> None:
    manifest = _manifest(rendered)
    assert set(manifest) == {(slug, "identify") for slug in SLUGS}
    for (slug, _), entry in manifest.items():
        assert entry["status"] == "ok" and entry["error_name"] == ""
        assert entry["parameters"]["company"] == slug and entry["seconds"] > 0
        assert (rendered / slug / "identify.html").is_file()
        assert not list((rendered / slug).glob(".*.part"))
    portfolio = (rendered / "index.html").read_text()
    for company in DEMO_COMPANIES:
        assert company.name in portfolio
        assert f'href="{company.slug}/index.html"' in portfolio


@pytest.mark.parametrize("company", DEMO_COMPANIES, ids=lambda c: c.slug)
def test_company_pages_name_only_their_company(rendered: Path, company) -> None:
    for page in (rendered / company.slug).glob("*.html"):
        text = page.read_text()
        assert company.name in text
        for other in DEMO_COMPANIES:
            if other is not company:
                assert other.name not in text and other.slug not in text, page.name
    index = (rendered / company.slug / "index.html").read_text()
    assert 'href="identify.html"' in index
    assert "<script" not in index


def test_rerun_with_nothing_changed_renders_nothing(rendered: Path, demo: Path, tmp_path: Path) -> None:
    out = _copy(rendered, tmp_path)
    before = {p: p.stat().st_mtime_ns for p in out.glob("*/identify.html")}
    result = render_batch(demo, out_dir=out, stages=["identify"], workers=2)
    assert result.counts == {"ok": 0, "failed": 0, "skipped": 3}
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/identify.html")} == before
    assert {e["status"] for e in _manifest(out).values()} == {"skipped"}


def test_a_report_that_records_what_it_published_is_not_rendered_again(tmp_path: Path) -> None:
    """Rendering the follow-up wave writes its disclosure log; the next batch still skips it."""
    ws = build_demo_workspace(tmp_path / "ws")
    company = "bluepeak-logistics"  # its follow-up wave has not been published yet
    with ws.connect() as con:
        before = con.execute("SELECT COUNT(*) FROM publications").fetchone()[0]
    first = render_batch(ws.root, companies=[company], stages=["recap"], workers=1)
    with ws.connect() as con:
        assert con.execute("SELECT COUNT(*) FROM publications").fetchone()[0] > before
    again = render_batch(ws.root, companies=[company], stages=["recap"], workers=1)
    assert first.counts["ok"] == 1 and again.counts == {"ok": 0, "failed": 0, "skipped": 1}


def test_rendering_writes_to_no_table_but_the_disclosure_log(tmp_path: Path) -> None:
    """After a batch, only WRITTEN_BY_REPORTS are read again to fingerprint its reports."""
    from alignkit.factory.fingerprint import WRITTEN_BY_REPORTS, company_table_hashes

    ws = build_demo_workspace(tmp_path / "ws")
    slugs = [c.slug for c in ws.companies()]
    before = company_table_hashes(ws, slugs)
    result = render_batch(ws.root, companies=["bluepeak-logistics"], workers=1)  # every stage
    assert result.ok and result.counts["ok"] == len(STAGES)
    after = company_table_hashes(ws, slugs)
    changed = {table for slug in slugs for table in after[slug]
               if after[slug][table] != before[slug][table]}
    assert changed and changed <= set(WRITTEN_BY_REPORTS)


def test_changed_company_data_renders_that_company_again(rendered: Path, demo: Path,
                                                         tmp_path: Path) -> None:
    out = _copy(rendered, tmp_path)
    ws = Workspace(demo)
    with ws.connect() as con:  # a new KPI observation for one company only
        con.execute("INSERT INTO kpi_observations (company_id, kpi, observed_on, value) "
                    "SELECT id, 'sla_compliance', '2099-01-01', 0.5 FROM companies WHERE slug = ?",
                    ("corvid-health",))
    try:
        result = render_batch(demo, out_dir=out, stages=["identify"], workers=2)
    finally:
        with ws.connect() as con:
            con.execute("DELETE FROM kpi_observations WHERE observed_on = '2099-01-01'")
    assert {(e.company, e.status) for e in result.entries} == {
        ("corvid-health", "ok"), ("bluepeak-logistics", "skipped"), ("northwind-software", "skipped")}


def test_one_broken_company_fails_alone_and_keeps_its_last_good_report(
        rendered: Path, demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _copy(rendered, tmp_path)
    good = (out / "bluepeak-logistics" / "identify.html").read_bytes()
    broken = tmp_path / "notebooks"
    shutil.copytree(notebooks_dir(), broken)
    nb = nbformat.read(broken / "01_identify.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        'if company == "bluepeak-logistics":\n    raise RuntimeError("deliberately broken")'))
    nbformat.write(nb, broken / "01_identify.ipynb")
    monkeypatch.setenv("ALIGNKIT_NOTEBOOKS", str(broken))
    run = CliRunner().invoke(main, ["batch", "--companies", "bluepeak-logistics,corvid-health",
                                    "--stages", "identify", "--workspace", str(demo), "--out", str(out)])
    assert run.exit_code == 1
    assert "1 report(s) failed" in run.output
    manifest = _manifest(out)
    failed = manifest[("bluepeak-logistics", "identify")]
    assert (failed["status"], failed["error_name"]) == ("failed", "RuntimeError")
    assert failed["error_message"] == "deliberately broken"
    assert failed["executed_notebook"] == "identify.failed.ipynb"
    kept = nbformat.read(out / "bluepeak-logistics" / "identify.failed.ipynb", as_version=4)
    assert kept.cells[-1].outputs[0]["ename"] == "RuntimeError"
    assert (out / "bluepeak-logistics" / "identify.html").read_bytes() == good
    assert manifest[("corvid-health", "identify")]["status"] == "ok"  # again: the notebook changed
    assert manifest[("northwind-software", "identify")]["status"] == "ok"  # kept from the first run
    assert "failed: RuntimeError" in (out / "index.html").read_text()


# -- tiny notebooks: failures, isolation, stress ---------------------------------------
def test_a_hanging_report_times_out_is_retried_once_and_fails(demo: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    notebooks = write_stage_notebooks(
        tmp_path / "nb", 'import time\nif company == "corvid-health":\n    time.sleep(120)')
    monkeypatch.setenv("ALIGNKIT_NOTEBOOKS", str(notebooks))
    result = render_batch(demo, out_dir=tmp_path / "out", workers=3, timeout=3)
    by_company = {e.company: e for e in result.entries}
    hung = by_company["corvid-health"]
    assert (hung.status, hung.error_name, hung.attempts) == ("failed", "Timeout", 2)
    assert {by_company[s].status for s in ("bluepeak-logistics", "northwind-software")} == {"ok"}
    assert not result.ok


PROBE = '''
import os, sys, tempfile, glob
import matplotlib.pyplot as plt
import ipywidgets, alignkit
left = {
    "variable": "LEAK" in globals(),
    "module attribute": hasattr(alignkit, "_leak"),
    "module": "leaky_module" in sys.modules,
    "environment": "ALIGNKIT_LEAK" in os.environ,
    "figures": bool(plt.get_fignums()),
    "widgets": bool(ipywidgets.widgets.widget._instances),
    "temporary files": bool(glob.glob(os.path.join(tempfile.gettempdir(), "leak-*"))),
}
print("PID", os.getpid(), "LEFT", sorted(k for k, v in left.items() if v))
LEAK = company
alignkit._leak = company
sys.modules["leaky_module"] = sys
os.environ["ALIGNKIT_LEAK"] = company
plt.figure()
ipywidgets.IntSlider(value=3)
tempfile.NamedTemporaryFile(prefix="leak-", delete=False).write(company.encode())
'''


@pytest.mark.parametrize("fork", [True, False], ids=["fork-server", "new-process"])
def test_nothing_of_one_company_is_visible_to_the_next(demo: Path, tmp_path: Path, fork: bool,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIGNKIT_NOTEBOOKS", str(write_stage_notebooks(tmp_path / "nb", PROBE)))
    result = render_batch(demo, out_dir=tmp_path / "out", workers=1, fork=fork)  # one worker: in turn
    assert result.counts["ok"] == 3
    seen = [re.search(r"PID (\d+) LEFT \[(.*?)\]", (tmp_path / "out" / s / "identify.html").read_text())
            for s in SLUGS]
    assert [m.group(2) for m in seen] == ["", "", ""]
    assert len({m.group(1) for m in seen}) == 3  # a kernel never serves two companies


def test_many_concurrent_renders_all_succeed(demo: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    notebooks = write_stage_notebooks(tmp_path / "nb", "import os\nprint('PID', os.getpid())",
                                      stages=tuple(STAGES))
    monkeypatch.setenv("ALIGNKIT_NOTEBOOKS", str(notebooks))
    result = render_batch(demo, out_dir=tmp_path / "out", workers=6)
    assert result.counts == {"ok": 12, "failed": 0, "skipped": 0}
    pids = {re.search(r"PID (\d+)", p.read_text()).group(1) for p in (tmp_path / "out").glob("*/[!i]*.html")}
    pids |= {re.search(r"PID (\d+)", (tmp_path / "out" / s / "identify.html").read_text()).group(1)
             for s in SLUGS}
    assert len(pids) == 12
    company_index = (tmp_path / "out" / "corvid-health" / "index.html").read_text()
    assert [s for s in STAGES if f'href="{s}.html"' in company_index] == list(STAGES)


def test_force_renders_unchanged_reports_again(demo: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIGNKIT_NOTEBOOKS", str(write_stage_notebooks(tmp_path / "nb", "1 + 1")))
    first = render_batch(demo, out_dir=tmp_path / "out", companies=["corvid-health"])
    again = render_batch(demo, out_dir=tmp_path / "out", companies=["corvid-health"])
    forced = render_batch(demo, out_dir=tmp_path / "out", companies=["corvid-health"], force=True)
    assert [first.counts["ok"], again.counts["skipped"], forced.counts["ok"]] == [1, 1, 1]


# -- refusals ---------------------------------------------------------------------------
def test_unknown_company_is_refused_before_anything_runs(demo: Path, tmp_path: Path) -> None:
    with pytest.raises(UnknownCompanyError, match="nope"):
        render_batch(demo, out_dir=tmp_path / "out", companies=["corvid-health", "nope"])
    assert not (tmp_path / "out").exists()


def test_unknown_company_on_the_command_line_is_one_line(demo: Path, tmp_path: Path) -> None:
    run = CliRunner().invoke(main, ["batch", "--companies", "nope", "--workspace", str(demo),
                                    "--out", str(tmp_path / "out")])
    assert run.exit_code == 1
    assert run.output.startswith("error: unknown company 'nope'")
    assert "Traceback" not in run.output


def test_company_without_the_wave_fails_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = Workspace(tmp_path / "ws")
    ready, *_ = DEMO_COMPANIES
    ws.add_company(ready.slug, ready.name)
    ws.add_company("new-client", "New Client")
    import_survey(write_demo_survey(ready, tmp_path / "survey.csv"), company=ready.slug,
                  wave="baseline", workspace=ws)
    monkeypatch.setenv("ALIGNKIT_NOTEBOOKS", str(write_stage_notebooks(tmp_path / "nb", "1 + 1")))
    result = render_batch(ws.root, out_dir=tmp_path / "out")
    by_company = {e.company: e for e in result.entries}
    assert by_company[ready.slug].status == "ok"
    assert (by_company["new-client"].status, by_company["new-client"].error_name) == (
        "failed", "StoreError")
    assert "no wave 'baseline'" in by_company["new-client"].error_message


# -- branding, widgets, PDF, Dask ----------------------------------------------------------
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def test_branding_file_sets_name_colour_and_inline_logo(demo: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIGNKIT_NOTEBOOKS", str(write_stage_notebooks(tmp_path / "nb", "1 + 1")))
    (tmp_path / "logo.png").write_bytes(PNG_1PX)
    brand = tmp_path / "branding.json"
    brand.write_text(json.dumps({"name": "Bridge Partners", "accent": "#AA3355", "logo": "logo.png"}))
    render_batch(demo, out_dir=tmp_path / "out", companies=["corvid-health"], brand_file=brand)
    for page in ("corvid-health/identify.html", "corvid-health/index.html", "index.html"):
        text = (tmp_path / "out" / page).read_text()
        assert "Bridge Partners" in text and "#AA3355" in text, page
        assert "data:image/png;base64," + base64.b64encode(PNG_1PX).decode() in text


@pytest.mark.parametrize(("content", "message"), [
    ('{"accent": "red"}', "not a colour"),
    ('{"logo": "missing.svg"}', "cannot read logo"),
    ("not json", "must be JSON"),
])
def test_bad_branding_file_is_refused_with_its_name(demo: Path, tmp_path: Path, content: str,
                                                    message: str) -> None:
    brand = tmp_path / "brand.json"
    brand.write_text(content)
    with pytest.raises(ReportError, match=message) as caught:
        render_batch(demo, out_dir=tmp_path / "out", brand_file=brand)
    assert "brand.json" in str(caught.value)


WIDGET_CELL = 'import ipywidgets\nipywidgets.IntSlider(value=40, min=0, max=100, description="Leads")'


def test_widget_state_brings_the_offline_widget_bundle_and_nothing_else_does(
        demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notebooks = write_stage_notebooks(tmp_path / "nb", "1 + 1")
    write_stage_notebooks(tmp_path / "nb", WIDGET_CELL, stages=("plan",))
    monkeypatch.setenv("ALIGNKIT_NOTEBOOKS", str(notebooks))
    # one worker for two reports: a fork server, so the cells run in forked children
    render_batch(demo, out_dir=tmp_path / "out", companies=["corvid-health"], workers=1)
    plan = (tmp_path / "out" / "corvid-health" / "plan.html").read_text()
    identify = (tmp_path / "out" / "corvid-health" / "identify.html").read_text()
    assert 'application/vnd.jupyter.widget-state+json' in plan
    assert "_jupyter_widget_embedder" in plan  # the vendored html-manager bundle, inline
    assert not re.search(r"<script[^>]+src=\"(?!data:)", plan)  # nothing to fetch
    assert "<script" not in identify


def test_pdf_is_printed_by_the_system_chromium(demo: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIGNKIT_NOTEBOOKS", str(write_stage_notebooks(tmp_path / "nb", "1 + 1")))
    result = render_batch(demo, out_dir=tmp_path / "out", companies=["corvid-health"],
                          formats=["html", "pdf"])
    assert result.entries[0].files == ("identify.html", "identify.pdf")
    pdf = (tmp_path / "out" / "corvid-health" / "identify.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and b"/Type /Page" in pdf


def test_batch_runs_on_a_dask_cluster(demo: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import LocalCluster

    notebooks = write_stage_notebooks(tmp_path / "nb", "import os\nprint('PID', os.getpid())",
                                      stages=("identify", "plan"))
    monkeypatch.setenv("ALIGNKIT_NOTEBOOKS", str(notebooks))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster:
        result = render_batch(demo, out_dir=tmp_path / "out",
                              companies=["corvid-health", "northwind-software"],
                              scheduler=cluster.scheduler_address)
        worker_pids = set(cluster.scheduler_info["workers"])
    assert result.counts == {"ok": 4, "failed": 0, "skipped": 0}
    assert result.scheduler == cluster.scheduler_address and len(worker_pids) == 2
    pages = sorted((tmp_path / "out").glob("*/[ip][dl]*.html"))
    assert len({re.search(r"PID (\d+)", p.read_text()).group(1) for p in pages}) == 4
    assert {e["status"] for e in _manifest(tmp_path / "out").values()} == {"ok"}


@pytest.mark.parametrize(("cores", "workers", "processes"),
                         [(2, 1, 2), (2, 2, 2), (2, 3, 3), (16, 4, 8), (16, 8, 16), (16, 16, 16)])
def test_a_worker_gets_a_second_process_only_with_a_core_to_spare(
        monkeypatch: pytest.MonkeyPatch, cores: int, workers: int, processes: int) -> None:
    from alignkit.factory import batch

    monkeypatch.setattr(batch, "default_workers", lambda: cores)
    assert batch.worker_processes(workers) == processes
