"""Copy ahead, in a forked child, the memory it shares with the fork server.

A child of the fork server shares the server's memory until it writes to it;
then the kernel copies the page written, one 4 KiB page per fault. A
report's cells write to some 12,000 such pages (Python touches the reference
counts of every module, function and cached object it uses), at a few
microseconds each: about a tenth of a report's time. Asked at once
(``madvise(MADV_POPULATE_WRITE)``, Linux 5.14 and later), the kernel copies a
range of pages in a fraction of that.

Children forked from the same warm server write to nearly the same pages,
so the server learns them (:class:`HotPages`): its first report children
(two) each tell it which of their pages they own once their cells have run
(:func:`owned_pages`, read from ``/proc/self/pagemap``), and every later
child has the pages that both wrote copied at once as it starts
(:func:`populate`), before it runs any cell. Only addresses travel; no
content does.

A child forked ahead of its turn (a worker's twin, see
:func:`alignkit.kernels.forked_run.run_forked`) makes these copies while it
waits; any other child makes them in one go before its first cell.
"""

from __future__ import annotations

import ctypes
import os
import socket
import sys
from collections.abc import Callable, Iterator

import numpy as np

__all__ = ["HotPages", "owned_pages", "page_ranges", "populate",
           "private_writable_regions"]

#: ``madvise`` advice: fault in every page of a range as if written (Linux 5.14+).
MADV_POPULATE_WRITE = 23
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_EXCLUSIVE = np.uint64(1 << 56)  # pagemap: the page is mapped by this process only


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


def _madvise() -> Callable[[int, int, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    madvise = ctypes.CDLL(None, use_errno=True).madvise
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    return madvise  # type: ignore[no-any-return]


def populate(ranges: list[tuple[int, int]]) -> int:
    """Have the kernel copy now every shared page of ``ranges`` (bytes, start to end);
    returns the bytes populated.

    Does nothing (returns 0) where the kernel cannot (not Linux, or older than 5.14);
    the pages are then copied as they are written to, as without it. A range no longer
    mapped is passed over.
    """
    madvise = _madvise()
    if madvise is None:
        return 0
    return sum(end - start for start, end in ranges
               if madvise(start, end - start, MADV_POPULATE_WRITE) == 0)


def owned_pages() -> np.ndarray:
    """Numbers (address // page size) of the pages of :func:`private_writable_regions` that
    this process alone maps: in a forked child, those it has written to (or allocated)
    since the fork. Empty where ``/proc/self/pagemap`` cannot be read."""
    found = []
    try:
        with open("/proc/self/pagemap", "rb") as pagemap:
            for start, end in private_writable_regions():
                first, count = start // PAGE, (end - start) // PAGE
                data = os.pread(pagemap.fileno(), 8 * count, 8 * first)
                entries = np.frombuffer(data[:len(data) // 8 * 8], dtype=np.uint64)
                found.append(first + np.flatnonzero(entries & _EXCLUSIVE))
    except OSError:
        return np.empty(0, dtype=np.int64)
    return np.concatenate(found).astype(np.int64) if found else np.empty(0, dtype=np.int64)


def _runs(pages: np.ndarray) -> np.ndarray:
    """Page numbers as (first page, number of pages) of each run of consecutive pages."""
    pages = np.unique(pages)
    if not len(pages):
        return np.empty((0, 2), dtype=np.int64)
    breaks = np.flatnonzero(np.diff(pages) != 1)
    starts = np.concatenate([pages[:1], pages[breaks + 1]])
    ends = np.concatenate([pages[breaks], pages[-1:]]) + 1
    return np.stack([starts, ends - starts], axis=1).astype(np.int64)


def page_ranges(pages: np.ndarray) -> list[tuple[int, int]]:
    """Page numbers as (start, end) byte ranges of consecutive pages, in order."""
    return [(first * PAGE, (first + count) * PAGE) for first, count in _runs(pages).tolist()]


class HotPages:
    """What a fork server learns from its children: the pages they write to.

    The server makes one before it forks any child it wants to learn from;
    each such child calls :meth:`report` (after its cells ran), and the
    server calls :meth:`receive` when :attr:`socket` is readable. Once
    ``wanted`` children have reported, the server calls :meth:`learn`, which
    closes the channel: its later children inherit :attr:`ranges`, the pages
    at least two of them wrote (of two: both).
    """

    def __init__(self, wanted: int = 2) -> None:
        self.wanted = wanted
        self.reports: list[np.ndarray] = []
        self.ranges: list[tuple[int, int]] = []
        self.socket: socket.socket | None
        self._child_end: socket.socket | None
        self.socket, self._child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.setblocking(False)
        self._child_end.setblocking(False)

    @property
    def learning(self) -> bool:
        """True while the server still wants reports."""
        return self.socket is not None

    def report(self) -> bool:
        """In a child: send the server the pages this child owns; False if not sent."""
        if self._child_end is None:
            return False
        pages = owned_pages()
        if not len(pages):
            return False
        payload = _runs(pages).tobytes()  # (first page, pages) of each run: a few dozen KiB
        try:
            return self._child_end.send(payload) == len(payload)
        except OSError:  # e.g. too many runs for one datagram: this child does not count
            return False

    def receive(self) -> bool:
        """In the server: take the reports that have come; True once enough have."""
        while self.socket is not None:
            try:
                payload = self.socket.recv(1 << 22)
            except (BlockingIOError, InterruptedError):
                break
            runs = np.frombuffer(payload, dtype=np.int64).reshape(-1, 2)
            self.reports.append(np.concatenate(
                [np.arange(first, first + count) for first, count in runs.tolist()]
                or [np.empty(0, dtype=np.int64)]))
        return len(self.reports) >= self.wanted

    def learn(self) -> None:
        """In the server: keep the pages at least two reports name, and stop learning."""
        if self.reports:
            pages, counts = np.unique(np.concatenate(self.reports), return_counts=True)
            self.ranges = page_ranges(pages[counts >= min(2, len(self.reports))])
        self.close()

    def close(self) -> None:
        """Stop learning (the children forked from now on inherit no channel)."""
        for end in (self.socket, self._child_end):
            if end is not None:
                end.close()
        self.socket = self._child_end = None
        self.reports = []
