"""The same inputs render the same bytes: no random cell ids, no render-time stamps."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from alignkit.report.render import render_report


def test_a_report_rendered_twice_is_byte_identical(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(os.environ["ALIGNKIT_WORKSPACE"], root)
    first = render_report("corvid-health", "identify", tmp_path / "a", workspace=root)
    second = render_report("corvid-health", "identify", tmp_path / "b", workspace=root)
    one, two = first.html.read_bytes(), second.html.read_bytes()
    assert one == two
    assert b"injected-parameters" in one  # papermill's cell is there, with a fixed id
