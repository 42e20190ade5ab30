"""The CLI's list of survey sources stays in step with the importers."""

from __future__ import annotations

from alignkit.cli.app import import_survey_cmd
from alignkit.intake import sources


def test_source_choices_match_the_importers() -> None:
    option = next(p for p in import_survey_cmd.params if p.name == "source")
    assert sorted(option.type.choices) == sorted(sources())
