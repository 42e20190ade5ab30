"""Raw copies of CRM, KPI and action-update files: there only once stored, without contacts.

A raw copy takes its name only after its import's transaction commits, so a
process killed in between leaves neither rows nor a copy. The copy of a CRM
lead export keeps the columns the import reads and nothing about the contacts;
a Qualtrics file's copy loses the respondents' coordinates too.
"""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import snapshot

from alignkit.cli.app import main
from alignkit.intake.crm import import_funnel
from alignkit.intake.survey import import_survey
from alignkit.intake.table import read_raw
from alignkit.store.actions import load_action_updates, save_actions
from alignkit.store.funnel import load_leads
from alignkit.store.workspace import Workspace, file_sha256

DATA = Path(__file__).parent / "data"
CRM, TRACKING, EXPORTS = DATA / "crm", DATA / "tracking", DATA / "exports"

# -- a kill between the raw copy and the commit leaves nothing ----------------------------------
#: importer call, then the functions that write its rows (killed at the first write).
_KILLED = {
    "funnel": ("from alignkit.intake.crm import import_funnel as run",
               ["alignkit.intake.crm._upsert_leads"], CRM / "hubspot_contacts.csv"),
    "counts": ("from alignkit.intake.crm import import_funnel as run",
               ["alignkit.intake.crm._import_period"], CRM / "counts_wide.csv"),
    "kpis": ("from alignkit.intake.kpis import import_kpis as run",
             ["alignkit.intake.kpis.write_kpi"], TRACKING / "kpis.csv"),
    "actions": ("from alignkit.intake.action_updates import import_action_updates as run",
                ["alignkit.store.actions._insert_updates"],
                TRACKING / "updates.csv"),
}

_SCRIPT = """
import importlib, os, signal, sys
{importer}
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
for target in {hooks!r}:
    module, _, name = target.rpartition(".")
    if hasattr(importlib.import_module(module), name):
        setattr(importlib.import_module(module), name, die)
from alignkit.store.workspace import Workspace
run(sys.argv[1], company="acme", workspace=Workspace(sys.argv[2]))
"""


def _state(ws: Workspace) -> tuple[list[str], list[str]]:
    """The database's rows (in any order: a new process may rewrite its key check) and raw/."""
    con = sqlite3.connect(ws.db_path)
    try:
        rows = sorted(con.iterdump())
    finally:
        con.close()
    return rows, sorted(p.name for p in ws.raw_dir.glob("*")) if ws.raw_dir.exists() else []


def _planned(workspace: Workspace) -> Workspace:
    save_actions(workspace, "acme", pd.DataFrame({"tactic": ["a", "b", "c"],
                                                  "title": ["One", "Two", "Three"]}))
    return workspace


@pytest.mark.parametrize("kind", sorted(_KILLED))
def test_an_import_killed_before_its_commit_leaves_no_raw_copy(workspace: Workspace,
                                                                kind: str) -> None:
    importer, hooks, file = _KILLED[kind]
    _planned(workspace)
    before = _state(workspace)
    script = _SCRIPT.format(importer=importer, hooks=hooks)
    done = subprocess.run([sys.executable, "-c", script, str(file), str(workspace.root)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    Workspace(workspace.root).companies()  # the next process to open it tidies up
    assert _state(workspace) == before


def test_a_failed_write_leaves_no_raw_copy_and_no_rows(workspace: Workspace,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import alignkit.intake.action_updates as updates
    import alignkit.intake.kpis as kpis
    import alignkit.store.actions as store_actions

    _planned(workspace)
    before = snapshot(workspace)
    seen: list[list[str]] = []

    def explode(*args: object, **kwargs: object) -> None:
        seen.append(sorted(p.name for p in workspace.raw_dir.glob("[!.]*")))
        raise RuntimeError("disk full")

    monkeypatch.setattr(kpis, "write_kpi", explode)
    monkeypatch.setattr(store_actions, "_insert_updates", explode)
    for run in (lambda: kpis.import_kpis(TRACKING / "kpis.csv", company="acme",
                                         workspace=workspace),
                lambda: updates.import_action_updates(TRACKING / "updates.csv", company="acme",
                                                      workspace=workspace)):
        with pytest.raises(RuntimeError):
            run()
    assert seen == [[], []]  # no copy under its name while the rows are being written
    assert snapshot(workspace) == before


def test_action_updates_still_store_and_keep_the_file(workspace: Workspace) -> None:
    from alignkit.intake.action_updates import import_action_updates

    _planned(workspace)
    result = import_action_updates(TRACKING / "updates.csv", company="acme", workspace=workspace)
    assert result.added == 5 and len(load_action_updates(workspace, "acme")) == 5
    (copy,) = workspace.raw_dir.iterdir()
    assert copy.read_bytes() == (TRACKING / "updates.csv").read_bytes()


# -- what a CRM raw copy keeps ------------------------------------------------------------------
CONTACTS = ("mara.lindqvist@example.com", "example.com", "Mara", "Lindqvist", "Grace", "Holm",
            "Holm Freight")


@pytest.mark.parametrize("name", ["hubspot_contacts.csv", "salesforce_leads.csv"])
def test_a_crm_raw_copy_keeps_only_what_the_import_reads(workspace: Workspace, tmp_path: Path,
                                                         name: str) -> None:
    original = shutil.copy(CRM / name, tmp_path / name)
    before = (original.read_bytes(), original.stat().st_mtime_ns)
    first = import_funnel(original, company="acme", workspace=workspace)
    assert (original.read_bytes(), original.stat().st_mtime_ns) == before
    (copy,) = workspace.raw_dir.iterdir()
    assert copy.name == f"{file_sha256(original)}.redacted.csv"
    text = copy.read_text(encoding="utf-8")
    assert [who for who in CONTACTS if who in text] == []
    kept, read = read_raw(copy).records, read_raw(original).records
    assert len(kept) == len(read) and 0 < len(kept[0]) < len(read[0])
    # The copy imports to the same leads (pseudonyms are per workspace, so compare the rest).
    other = Workspace(tmp_path / "other")
    other.add_company("acme", "Acme Corp")
    again = import_funnel(copy, company="acme", workspace=other)
    assert (again.rows, again.by_source, again.stages, again.periods) == (
        first.rows, first.by_source, first.stages, first.periods)
    columns = [c for c in load_leads(workspace, "acme").columns if c not in ("lead", "owner")]
    pd.testing.assert_frame_equal(load_leads(workspace, "acme")[columns],
                                  load_leads(other, "acme")[columns])


def test_keep_raw_keeps_a_crm_file_unchanged(workspace: Workspace) -> None:
    import_funnel(CRM / "hubspot_contacts.csv", company="acme", workspace=workspace,
                  keep_raw=True)
    (copy,) = workspace.raw_dir.iterdir()
    assert copy.name == f"{file_sha256(CRM / 'hubspot_contacts.csv')}.csv"
    assert copy.read_bytes() == (CRM / "hubspot_contacts.csv").read_bytes()


@pytest.mark.parametrize("name", ["leads_small.csv", "counts_wide.csv"])
def test_a_file_without_contacts_is_kept_byte_for_byte(workspace: Workspace, name: str) -> None:
    import_funnel(CRM / name, company="acme", workspace=workspace)
    (copy,) = workspace.raw_dir.iterdir()
    assert copy.read_bytes() == (CRM / name).read_bytes()


@pytest.mark.parametrize(("flags", "suffix"), [((), ".redacted.csv"), (("--keep-raw",), ".csv")])
def test_import_funnel_keep_raw_option(workspace: Workspace, flags: tuple[str, ...],
                                       suffix: str) -> None:
    source = CRM / "salesforce_leads.csv"
    result = CliRunner().invoke(main, ["import", "funnel", str(source), "--company", "acme",
                                       *flags, "--workspace", str(workspace.root)],
                                env={"ALIGNKIT_WORKSPACE": None})
    assert result.exit_code == 0, result.output
    (copy,) = workspace.raw_dir.iterdir()
    assert copy.name == file_sha256(source) + suffix
    assert ("Grace" in copy.read_text(encoding="utf-8")) == bool(flags)


# -- Qualtrics coordinates ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["qualtrics_numeric.csv", "qualtrics_choice_text.csv"])
def test_qualtrics_coordinates_stay_out_of_the_raw_copy(workspace: Workspace, name: str) -> None:
    import_survey(EXPORTS / name, company="acme", wave="baseline", workspace=workspace)
    (copy,) = workspace.raw_dir.iterdir()
    header = read_raw(copy).records[0]
    assert not {"LocationLatitude", "LocationLongitude", "IPAddress"} & set(header)
    assert "52.52" not in copy.read_text(encoding="utf-8")


def test_the_coordinates_are_still_not_an_unknown_column(workspace: Workspace) -> None:
    result = import_survey(EXPORTS / "qualtrics_numeric.csv", company="acme", wave="baseline",
                           workspace=workspace, dry_run=True)
    assert not {"LocationLatitude", "LocationLongitude"} & set(result.unmapped)
