"""Small helpers shared by several test modules."""

from __future__ import annotations

import hashlib
import sqlite3

from alignkit.store.workspace import Workspace


def snapshot(ws: Workspace) -> tuple[str, list[str]]:
    """A workspace's state: a hash of the logical database dump and the raw files' names.

    The logical dump (not the file bytes) is compared because SQLite's WAL
    journal changes the files without changing any data.
    """
    con = sqlite3.connect(ws.db_path)
    try:
        dump = hashlib.sha256("\n".join(con.iterdump()).encode()).hexdigest()
    finally:
        con.close()
    return dump, sorted(p.name for p in ws.raw_dir.glob("*")) if ws.raw_dir.exists() else []


def launched_chromium():
    """The system Chromium through playwright, for a module fixture: ``yield from`` it."""
    from playwright.sync_api import sync_playwright

    from alignkit.report.html import CHROMIUM_FLAGS, find_chromium

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


class OfflinePage:
    """A page opened with every request that is not a file or inline data aborted and counted.

    ``errors`` collects page errors and console errors, ``network`` every URL the
    page tried to fetch.
    """

    def __init__(self, browser, path) -> None:
        self.errors: list[str] = []
        self.network: list[str] = []
        self.page = browser.new_page(viewport={"width": 1100, "height": 1400})
        self.page.on("pageerror", lambda err: self.errors.append(f"page error: {err}"))
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.route("**/*", self._offline)
        self.page.goto(path.as_uri(), wait_until="load")

    def _offline(self, route) -> None:
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.network.append(route.request.url)
            route.abort()
