"""The look of client reports: the consultancy's name, accent colour and logo.

A branding file is JSON with ``name``, ``accent`` (a ``#RRGGBB`` colour) and
``logo`` (an SVG, PNG or JPEG file, relative to the branding file). The logo is
embedded in every page as a data URI, so reports stay one self-contained file.
``templates/alignkit/branding.json`` holds the default.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from pathlib import Path

from alignkit.exceptions import ReportError

__all__ = ["Brand", "default_brand_file", "load_brand"]

_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}\Z")
_LOGO_URI = re.compile(r"^data:image/(?:svg\+xml|png|jpeg);base64,[A-Za-z0-9+/]*={0,2}\Z")
_LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


@dataclass(frozen=True)
class Brand:
    """Who presents the report and how it looks.

    ``logo`` is a ``data:`` URI (empty when there is no logo).
    """

    name: str = "alignkit"
    accent: str = "#1F5F8B"
    logo: str = ""

    def __post_init__(self) -> None:
        # The accent is written into every page's style sheet and the logo into an image
        # source: neither may carry anything but a colour and an embedded image. The name
        # is text, escaped by the templates.
        if not _COLOUR.match(str(self.accent)):
            raise ReportError(f"accent '{self.accent}' is not a colour like #1F5F8B")
        if self.logo and not _LOGO_URI.match(str(self.logo)):
            raise ReportError("the logo must be an embedded SVG, PNG or JPEG image (a data: URI)")

    def context(self) -> dict[str, str]:
        """The values the report and index templates read."""
        return {"brand": self.name, "accent": self.accent, "logo": self.logo}


def default_brand_file() -> Path:
    """``branding.json`` of the report template folder."""
    from alignkit.catalog.resources import templates_dir

    return templates_dir() / "alignkit" / "branding.json"


def load_brand(path: str | Path | None = None) -> Brand:
    """Read a branding file (``None``: the default one).

    Raises
    ------
    ReportError
        When the file is not valid JSON, the colour is not ``#RRGGBB`` or the
        logo is missing or of an unsupported type; the message names the file.
    """
    file = Path(path) if path is not None else default_brand_file()
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ReportError(f"{file}: cannot read the branding file ({err}); it must be JSON with "
                          "name, accent and logo") from None
    if not isinstance(data, dict):
        raise ReportError(f"{file}: the branding file must hold a JSON object")
    accent = str(data.get("accent", Brand.accent))
    if not _COLOUR.match(accent):
        raise ReportError(f"{file}: accent '{accent}' is not a colour like #1F5F8B")
    logo = data.get("logo")
    return Brand(name=str(data.get("name", Brand.name)).strip() or Brand.name, accent=accent,
                 logo=_data_uri(file.parent / logo, file) if logo else "")


def _data_uri(logo: Path, brand_file: Path) -> str:
    kind = _LOGO_TYPES.get(logo.suffix.lower())
    if kind is None:
        raise ReportError(f"{brand_file}: logo {logo.name} must be .svg, .png or .jpg")
    try:
        payload = base64.b64encode(logo.read_bytes()).decode("ascii")
    except OSError as err:
        raise ReportError(f"{brand_file}: cannot read logo {logo}: {err.strerror}") from None
    return f"data:{kind};base64,{payload}"
