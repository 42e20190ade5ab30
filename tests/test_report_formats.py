"""Output formats sit behind one registry: each is one module of alignkit.report.formats."""

from __future__ import annotations

import pkgutil

import pytest
from click.testing import CliRunner

import alignkit.report.formats as formats_package
from alignkit.cli.app import main
from alignkit.exceptions import ReportError
from alignkit.report.formats import output_format, output_formats


def test_every_module_of_the_package_is_one_registered_format() -> None:
    modules = {m.name for m in pkgutil.iter_modules(formats_package.__path__)}
    found = output_formats()
    assert {name.replace("-", "_") for name in found} == modules and {"html", "pdf"} <= set(found)
    assert list(found)[0] == "html"
    # each format writes a file of its own: a report's <stage><suffix>, a company's <stem><suffix>
    assert len({(f.scope, f.stem, f.suffix) for f in found.values()}) == len(found)
    assert output_format("html").export(None, "<p>page</p>") == "<p>page</p>"


def test_an_unknown_format_is_refused_naming_the_choices() -> None:
    with pytest.raises(ReportError, match="html, pdf"):
        output_format("docx")
    result = CliRunner().invoke(main, ["batch", "--format", "html,docx"])
    assert result.exit_code != 0 and "choose from html, pdf" in result.output
