"""Copying ahead the memory a forked child shares with its parent (alignkit.kernels.prefault)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from alignkit.kernels import prefault

pytestmark = pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(),
                                reason="reads Linux's /proc")


def _private_dirty_kib() -> int:
    rollup = Path("/proc/self/smaps_rollup").read_text()
    return int(re.search(r"Private_Dirty:\s+(\d+)", rollup).group(1))


def _in_child(work) -> str:
    """Run ``work()`` in a forked child; what it returns (a short string)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.write(write, work().encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as fh:
        out = fh.read()
    os.waitpid(pid, 0)
    return out


def test_the_regions_are_the_heap_and_anonymous_private_memory() -> None:
    regions = list(prefault.private_writable_regions())
    assert regions and all(start < end for start, end in regions)
    held = bytearray(32 << 20)  # a large buffer lives in one of them
    address = id(held)
    assert any(start <= address < end for start, end in regions)


def test_a_child_owns_its_parent_s_memory_after_populating_it() -> None:
    ballast = [bytearray(1 << 20) for _ in range(64)]  # 64 MiB the child shares
    assert ballast

    def work() -> str:
        before = _private_dirty_kib()
        populated = prefault.populate_private_memory()
        return f"{before} {_private_dirty_kib()} {populated}"

    before, after, populated = map(int, _in_child(work).split())
    if populated == 0:
        pytest.skip(f"this kernel ({os.uname().release}) cannot populate memory ahead")
    assert populated >= 64 << 20
    assert after - before >= 60 * 1024  # the ballast, at least, is now the child's own


def test_populating_stops_as_soon_as_asked() -> None:
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 2

    populated = _in_child(lambda: str(prefault.populate_private_memory(stop=stop)))
    assert int(populated) <= 2 * prefault.CHUNK


def test_nothing_happens_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert prefault.populate_private_memory() == 0
