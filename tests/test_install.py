"""alignkit installs as a wheel and renders reports from outside its source tree.

The wheel is built from this checkout and installed into a fresh virtual
environment in a temporary folder. The environment borrows the third-party
packages of the running one (a path file), but never this checkout: the
notebooks and templates must come from the wheel itself.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_wheel_installed_outside_the_checkout_renders_the_demo(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q",
                            "-w", str(wheels)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next(wheels.glob("alignkit-*.whl"))
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    own_site = subprocess.run([str(python), "-c", "import site; print(site.getsitepackages()[0])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    borrowed = [p for p in site.getsitepackages() if Path(p).is_dir()]
    Path(own_site, "borrowed.pth").write_text("\n".join(borrowed) + "\n")
    installed = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q",
                                str(wheel)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr[-2000:]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ALIGNKIT_", "PYTHONPATH", "JUPYTER"))}
    env["ALIGNKIT_DEMO_TODAY"] = os.environ.get("ALIGNKIT_DEMO_TODAY", "2026-12-04")
    # The borrowed packages' data files (nbconvert's base templates, kernel specs) live
    # under the running environment's prefix, not the new one's.
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    where = subprocess.run([str(python), "-c", "import alignkit; print(alignkit.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(env_dir), where.stdout
    demo = subprocess.run([str(python), "-m", "alignkit", "demo", "--out", "demo"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600)
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    reports = tmp_path / "demo" / "reports"
    for company in ("northwind-software", "bluepeak-logistics", "corvid-health"):
        for stage in ("identify", "plan", "execute", "recap"):
            assert (reports / company / f"{stage}.html").stat().st_size > 10_000
        # the installed templates also make each company's deck and one-page summary
        assert (reports / company / "deck.pptx").read_bytes()[:2] == b"PK"
        assert "<html" in (reports / company / "summary.html").read_text(encoding="utf-8")
    assert str(ROOT) not in (reports / "northwind-software" / "identify.html").read_text()
