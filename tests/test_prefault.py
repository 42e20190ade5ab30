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
        populated = prefault.populate(list(prefault.private_writable_regions()))
        return f"{before} {_private_dirty_kib()} {populated}"

    before, after, populated = map(int, _in_child(work).split())
    if populated == 0:
        pytest.skip(f"this kernel ({os.uname().release}) cannot populate memory ahead")
    assert populated >= 64 << 20
    assert after - before >= 60 * 1024  # the ballast, at least, is now the child's own


def test_nothing_happens_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert prefault.populate([(0, 1 << 20)]) == 0


def test_the_server_learns_the_pages_two_children_wrote() -> None:
    hot = prefault.HotPages(wanted=3)
    shared = [bytearray(1 << 20) for _ in range(16)]  # 16 MiB the children share
    only_first = bytearray(4 << 20)

    def write(buffers) -> None:
        for buffer in buffers:
            buffer[::4096] = b"x" * len(buffer[::4096])

    for i in range(3):
        assert hot.learning
        _in_child(lambda i=i: str(write(shared + ([only_first] if i == 0 else [])) or hot.report()))
    assert hot.receive()  # three reports have come
    hot.learn()
    assert not hot.learning and hot.socket is None
    learned = {page for start, end in hot.ranges for page in range(start, end, prefault.PAGE)}
    for buffer in shared:  # written by all three
        start = _address(buffer) // prefault.PAGE * prefault.PAGE + prefault.PAGE
        assert all(page in learned
                   for page in range(start, start + len(buffer) - 2 * prefault.PAGE, prefault.PAGE))
    middle = _address(only_first) + (2 << 20)
    assert middle // prefault.PAGE * prefault.PAGE not in learned  # written by one child only


def _address(buffer: bytearray) -> int:
    import numpy as np

    return int(np.frombuffer(buffer, dtype=np.uint8).ctypes.data)


def test_page_ranges_join_consecutive_pages() -> None:
    import numpy as np

    page = prefault.PAGE
    assert prefault.page_ranges(np.array([7, 3, 4, 5, 9, 8], dtype=np.int64)) == \
        [(3 * page, 6 * page), (7 * page, 10 * page)]
    assert prefault.page_ranges(np.empty(0, dtype=np.int64)) == []
