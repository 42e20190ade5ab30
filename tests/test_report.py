"""End to end: a stored survey becomes a client-ready HTML report."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest
from PIL import Image

from alignkit.demo import DEMO_COMPANIES, build_demo_workspace
from alignkit.demo.survey import _COMMENTS
from alignkit.exceptions import ReportError, StoreError
from alignkit.report.render import notebooks_dir, render_report

CHART = re.compile(r'<div class="jp-RenderedSVG[^>]*>\s*<img[^>]+src="data:image/svg\+xml;base64,([^"]+)"')
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_workspace(tmp_path_factory.mktemp("demo")).root


@pytest.fixture(scope="module")
def bluepeak(demo: Path) -> str:
    done = render_report("bluepeak-logistics", "identify", demo / "reports" / "bluepeak-logistics",
                         workspace=demo)
    return done.html.read_text(encoding="utf-8")


def test_report_holds_charts_as_embedded_vector_images(bluepeak: str) -> None:
    charts = CHART.findall(bluepeak)
    assert len(charts) >= 4
    for data in charts:
        svg = ElementTree.fromstring(base64.b64decode(data))
        assert float(svg.get("width", "0").removesuffix("pt")) >= 700  # 10 in wide, readable in print
        # vectors, sharp on screen and on paper; only a colour scale's smooth ramp is a thin raster
        assert all(float(ramp.get("height")) < 20 for ramp in svg.iter(f"{SVG}image"))
        assert svg.find(f".//{SVG}text") is None  # lettering as outlines: same look without our fonts
        assert b"<dc:date>" not in base64.b64decode(data)  # no render time: the same answers, same file


def test_report_shows_no_code_and_loads_nothing_from_the_internet(bluepeak: str) -> None:
    assert "alignkit.load_wave" not in bluepeak
    assert "import alignkit" not in bluepeak
    assert "hl-ipython3" not in bluepeak  # the class nbconvert gives highlighted code
    assert not re.search(r'<script[^>]+src="https?://', bluepeak)
    assert "Traceback" not in bluepeak and "Warning" not in bluepeak


def test_report_is_branded_for_its_company_only(bluepeak: str) -> None:
    assert "Bluepeak Logistics" in bluepeak
    for other in DEMO_COMPANIES:
        if other.slug != "bluepeak-logistics":
            assert other.name not in bluepeak
            assert other.slug not in bluepeak


def test_hidden_groups_and_their_comments_stay_hidden(bluepeak: str) -> None:
    # Bluepeak's leadership (3) and other (4) groups are below the threshold of 5: they are
    # shown only as one pool (alignkit.analysis.disclosure), and their comments not at all.
    assert "Leadership &amp; other" in bluepeak
    for team in ("leadership", "other"):
        for comment in _COMMENTS[team]:
            assert comment.split(";")[0][:40] not in bluepeak


def test_report_opens_in_headless_chromium(demo: Path, bluepeak: str, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed: apt-get install -y chromium (see .ci/run)")
    html = demo / "reports" / "bluepeak-logistics" / "identify.html"
    shot = tmp_path / "shot.png"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1100,2400",
         f"--screenshot={shot}", html.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    page = Image.open(shot).convert("L")
    # A real page, not a blank or error screen: many distinct grey levels.
    assert len(set(page.getdata())) > 40


def test_unknown_wave_fails_before_running_anything(demo: Path, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no wave 'wave-9'"):
        render_report("corvid-health", "identify", tmp_path, workspace=demo, wave="wave-9")
    assert not list(tmp_path.iterdir())


def test_failed_render_keeps_last_good_report(demo: Path, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    good = render_report("corvid-health", "identify", out, workspace=demo).html
    before = good.read_bytes()
    broken = tmp_path / "notebooks"
    shutil.copytree(notebooks_dir(), broken)
    nb = json.loads((broken / "01_identify.ipynb").read_text())
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                        "execution_count": None, "source": "1 / 0", "id": "broken-cell"})
    (broken / "01_identify.ipynb").write_text(json.dumps(nb))
    monkeypatch.setenv("ALIGNKIT_NOTEBOOKS", str(broken))
    with pytest.raises(ReportError, match="ZeroDivisionError"):
        render_report("corvid-health", "identify", out, workspace=demo)
    assert good.read_bytes() == before
    assert (out / "identify.failed.ipynb").exists()


def test_default_brand_embeds_the_logo(tmp_path: Path) -> None:
    from alignkit.report.branding import load_brand

    brand = load_brand()
    assert brand.name == "alignkit" and re.fullmatch(r"#[0-9A-F]{6}", brand.accent)
    assert brand.logo.startswith("data:image/svg+xml;base64,")
    assert b"<svg" in base64.b64decode(brand.logo.split(",", 1)[1])


def test_write_atomic_replaces_the_file_and_leaves_nothing_behind(tmp_path: Path) -> None:
    from alignkit.report.render import write_atomic

    target = tmp_path / "identify.html"
    write_atomic(target, "old")
    write_atomic(target, b"new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["identify.html"]
