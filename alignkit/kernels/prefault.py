"""Copy ahead, in a forked child, the memory it shares with the fork server.

A child of the fork server shares the server's memory until it writes to it;
then the kernel copies the page written, one 4 KiB page per fault. A
report's cells write to some 13,000 such pages (Python touches the reference
counts of every module, function and cached object it uses), which costs
about a tenth of a report's time. A child that has to wait for its turn
anyway can instead have the kernel copy all of its private writable memory
at once (``madvise(MADV_POPULATE_WRITE)``, Linux 5.14 and later): the copies
are made while it waits, and its cells then run without those faults.

The price is memory: the child owns a copy of the server's writable memory
(about 200 MiB) from then on, instead of only the pages it writes. Only a
child that waits does it (see :func:`alignkit.kernels.forked_run.run_forked`).
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable, Iterator

__all__ = ["CHUNK", "populate_private_memory", "private_writable_regions"]

#: ``madvise`` advice: fault in every page of a range as if written (Linux 5.14+).
MADV_POPULATE_WRITE = 23
#: Bytes populated between two checks whether to stop.
CHUNK = 8 << 20


def private_writable_regions(maps: str = "/proc/self/maps") -> Iterator[tuple[int, int]]:
    """(start, end) of each private, writable, anonymous mapping (the heap included) of
    this process: where Python's objects live. Files mapped and stacks are left out."""
    with open(maps, encoding="ascii") as fh:
        for line in fh:
            parts = line.split()
            name = parts[5] if len(parts) > 5 else ""
            if parts[1].startswith("rw") and parts[1][3] == "p" and name in ("", "[heap]"):
                start, end = (int(x, 16) for x in parts[0].split("-"))
                yield start, end


def populate_private_memory(stop: Callable[[], bool] = lambda: False) -> int:
    """Have the kernel copy now every shared page of :func:`private_writable_regions`, a
    chunk at a time, until done or ``stop()`` says so; returns the bytes populated.

    Does nothing (returns 0) where the kernel cannot (not Linux, or older than 5.14);
    the pages are then copied as the cells write to them, as without it.
    """
    if not sys.platform.startswith("linux"):
        return 0
    madvise = ctypes.CDLL(None, use_errno=True).madvise
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    done = 0
    for start, end in list(private_writable_regions()):
        for low in range(start, end, CHUNK):
            if stop():
                return done
            size = min(CHUNK, end - low)
            if madvise(low, size, MADV_POPULATE_WRITE) == 0:  # else, e.g. an older kernel:
                done += size                                  # the pages fault in as written
    return done
