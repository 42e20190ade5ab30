"""scripts/bench_intake.py runs end to end and prints its one line (figures are not tested)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "bench_intake.py"
LINE = re.compile(r"bench-intake: import \d+\.\d\dx floor, score \d+\.\d\dx floor, "
                  r"peak memory \d+\.\d\dx floor \((\d+) answers\)")


def test_the_benchmark_prints_exactly_one_line() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--answers", "3000"], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and LINE.fullmatch(lines[0]), done.stdout
    answers = int(LINE.fullmatch(lines[0]).group(1))
    assert 2700 <= answers <= 3300  # about the number asked for: blanks are not stored
