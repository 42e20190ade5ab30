"""SVG output whose text outlines are worked out once per process, not once per figure.

alignkit's charts write their text as outlines (``svg.fonttype = "path"``), so
a chart reads the same whatever fonts the reader has. matplotlib lays out
every string with FreeType and converts every glyph's outline to SVG path
data again for each figure, which is most of the cost of writing a chart.
Reports repeat the same labels with the same few glyphs, so this backend
keeps, for the life of the process:

- the fonts found for each set of font properties,
- each string's width, height and descent,
- each string's glyphs and their positions, and each glyph's outline,
- each glyph outline's SVG path data;
- each string's run of ``<use>`` elements (one per glyph, placed along the
  line), which matplotlib's XML writer otherwise builds element by element
  and attribute by attribute for every text of every figure;
- each font's line gap, ascender and descender, which matplotlib otherwise
  reads from the font's tables again for every text it lays out.

The SVG written is byte for byte what matplotlib's own SVG backend writes;
only the work behind it is shared. :mod:`alignkit.charts.style` registers the
backend for the ``svg`` format, so ``figure.savefig(..., format="svg")`` and
IPython's inline display use it.
"""

from __future__ import annotations

import io
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from matplotlib import cbook
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import (
    FigureCanvasSVG,
    RendererSVG,
    _generate_css,
    _generate_transform,
    _quote_escape_attrib,
    _short_float_fmt,
)
from matplotlib.colors import rgb2hex
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.ft2font import LoadFlags
from matplotlib.path import Path
from matplotlib.textpath import TextToPath

__all__ = ["CachedTextToPath", "CachingRendererSVG", "FigureCanvas", "FigureCanvasCachedSVG",
           "agg_text_width", "cache_sizes", "font_for", "lay_out"]

#: Strings whose layout is kept; reports use a few hundred distinct labels.
MAX_STRINGS = 20_000

_FONT_DATA: dict[str, bytes] = {}  # font file -> its bytes, read once per process
_FONTS: dict[tuple[Any, ...], Any] = {}  # (font files, thread) -> a font reading from memory
_MEMORY_FONTS = [True]  # emptied if this matplotlib's fonts cannot be built from memory


def _font_data(path: str) -> io.BytesIO:
    data = _FONT_DATA.get(path)
    if data is None:
        with open(path, "rb") as fh:
            data = _FONT_DATA.setdefault(path, fh.read())
    return io.BytesIO(data)


def _memory_font(files: tuple[Any, ...]) -> Any:
    """matplotlib's ``font_manager._get_font`` (matplotlib 3.11), each font file read from memory."""
    from matplotlib import rcParams
    from matplotlib.ft2font import FT2Font

    kerning = rcParams["text.kerning_factor"]
    paths = [(os.path.realpath(getattr(f, "path", f)), getattr(f, "face_index", 0)) for f in files]
    (first, first_index), *rest = paths
    fallback = [FT2Font(_font_data(p), face_index=i, _kerning_factor=kerning) for p, i in rest]
    last_resort = os.path.realpath(cbook._get_data_path("fonts", "ttf", "LastResortHE-Regular.ttf"))
    last_resort_index = paths.index((last_resort, 0)) if (last_resort, 0) in paths else -1
    if last_resort_index < 0 and rcParams["font.enable_last_resort"]:
        fallback.append(FT2Font(_font_data(last_resort), _kerning_factor=kerning,
                                _warn_if_used=True))
        last_resort_index = len(fallback)
    font = FT2Font(_font_data(first), face_index=first_index, _fallback_list=fallback,
                   _kerning_factor=kerning)
    if last_resort_index == 0:
        font.set_charmap(0)
    elif last_resort_index > 0:
        fallback[last_resort_index - 1].set_charmap(0)
    return font


def font_for(files: tuple[Any, ...]) -> Any:
    """The font for ``files`` (what ``fontManager._find_fonts_by_props`` found), as
    matplotlib's ``get_font`` gives it, but reading the font files from memory.

    matplotlib's fonts read their file through Python's file object: every glyph
    FreeType loads costs a seek and a read of the file, and a process forked from
    another one opens its fonts again (matplotlib drops its fonts in a forked
    child: an open file's position is shared with the parent). These fonts are
    read once into memory and kept per process and thread: laying out a string
    costs a third, and a forked report child inherits them, fonts and all.
    Where matplotlib's font internals differ from 3.11's, matplotlib's own font is used.
    """
    key = (files, threading.get_ident())
    font = _FONTS.get(key)
    if font is None:
        if not _MEMORY_FONTS:
            return get_font(list(files))
        try:
            font = _memory_font(files)
        except (TypeError, AttributeError, ValueError):  # another matplotlib: its own fonts
            _MEMORY_FONTS.clear()  # and no second try
            return get_font(list(files))
        _FONTS[key] = font
    font._set_transform([[0x10000, 0], [0, 0x10000]], [0, 0])  # as get_font does each time
    return font


class CachedTextToPath(TextToPath):
    """A :class:`~matplotlib.textpath.TextToPath` that remembers fonts, sizes and glyph layouts.

    Plain (non-math) text only; math text and TeX go through matplotlib unchanged.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()  # matplotlib is not thread-safe; our caches are
        self._files: dict[FontProperties, tuple[str, ...]] = {}
        self._extents: dict[tuple[tuple[str, ...], str], tuple[float, float, float]] = {}
        self._layouts: dict[tuple[Any, ...], list[tuple[str, float, float]]] = {}
        self._outlines: dict[str, Any] = {}  # glyph id -> its outline, as matplotlib reads it
        self._font_files: dict[int, tuple[str, ...]] = {}

    def _filenames(self, prop: FontProperties) -> tuple[str, ...]:
        files = self._files.get(prop)
        if files is None:
            files = tuple(fontManager._find_fonts_by_props(prop))
            self._files[prop.copy()] = files
        return files

    def _get_font(self, prop: FontProperties) -> Any:
        files = self._filenames(prop)
        font = font_for(files)
        font.set_size(self.FONT_SCALE, self.DPI)
        self._font_files[id(font)] = files  # get_glyphs_with_font is called with this font next
        return font

    def get_text_width_height_descent(self, s: str, prop: FontProperties,
                                      ismath: Any) -> tuple[float, float, float]:
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        key = (self._filenames(prop), s)
        extent = self._extents.get(key)
        if extent is None:
            font = self._get_font(prop)
            font.set_text(s, 0.0, flags=LoadFlags.NO_HINTING)
            w, h = font.get_width_height()
            extent = (w / 64.0, h / 64.0, font.get_descent() / 64.0)
            with self._lock:
                if len(self._extents) < MAX_STRINGS:
                    self._extents[key] = extent
        scale = prop.get_size_in_points() / self.FONT_SCALE
        return extent[0] * scale, extent[1] * scale, extent[2] * scale

    def layout_key(self, font: Any, s: str, features: Any = None,
                   language: Any = None) -> tuple[Any, ...]:
        """What names the layout of ``s`` in ``font`` (from :meth:`_get_font`) in the caches."""
        return (self._font_files.get(id(font), (font.fname,)), s,
                tuple(features) if features else features,
                language if not isinstance(language, list) else tuple(language))

    def get_glyphs_with_font(self, font: Any, s: str, glyph_map: Any = None,
                             return_new_glyphs_only: bool = False, *, features: Any = None,
                             language: Any = None) -> tuple[list, Any, list]:
        key = self.layout_key(font, s, features, language)
        placed = self._layouts.get(key)
        if placed is None:
            placed = self._place(font, s, features, language)
            with self._lock:
                if len(self._layouts) < MAX_STRINGS:
                    self._layouts[key] = placed
        outlines = self._outlines
        if glyph_map is None:
            glyph_map = OrderedDict()
        new = OrderedDict() if return_new_glyphs_only else glyph_map
        for glyph, _, _ in placed:  # as matplotlib does: in order, each glyph not yet defined
            if glyph not in glyph_map:
                new[glyph] = outlines[glyph]
        return [(glyph, x, y, 1.0) for glyph, x, y in placed], new, []

    def _place(self, font: Any, s: str, features: Any,
               language: Any) -> list[tuple[str, float, float]]:
        """Each glyph of ``s`` and where it goes, as matplotlib lays them out; a glyph's
        outline is read from the font the first time this process meets the glyph only."""
        try:
            return self._place_shaped(font, s, features, language)
        except (AttributeError, TypeError):  # a matplotlib without libraqm's layout
            info, outlines, _ = super().get_glyphs_with_font(
                font, s, glyph_map=OrderedDict(), features=features, language=language)
            with self._lock:
                self._outlines.update(outlines)
            return [(glyph, x, y) for glyph, x, y, _ in info]

    def _place_shaped(self, font: Any, s: str, features: Any,
                      language: Any) -> list[tuple[str, float, float]]:
        # matplotlib's _text_helpers.layout, without loading a glyph whose outline is known
        placed = []
        for item in font._layout(s, LoadFlags.NO_HINTING, features=features, language=language):
            glyph = self._get_glyph_repr(item.ft_object, item.glyph_index)
            if glyph not in self._outlines:
                item.ft_object.load_glyph(item.glyph_index, flags=LoadFlags.NO_HINTING)
                with self._lock:
                    self._outlines[glyph] = item.ft_object.get_path()
            placed.append((glyph, item.x, item.y))
        return placed

    def sizes(self) -> dict[str, int]:
        """How many entries each cache holds."""
        return {"fonts": len(self._files), "extents": len(self._extents),
                "layouts": len(self._layouts), "outlines": len(self._outlines)}


_TEXT_TO_PATH = CachedTextToPath()
_PATH_DATA: dict[str, str] = {}  # glyph id -> its outline as SVG path data
_GLYPH_SCALE = _generate_transform([("scale", (1 / 64,))])  # FreeType's units, as matplotlib


_USES: dict[tuple[Any, ...], str] = {}  # (layout, depth) -> the <use> run after its first glyph


def _use(writer: Any, glyph: str, x: float, y: float, scale: float) -> None:
    """One glyph placed in a text's group, as matplotlib's SVG renderer writes it."""
    writer.element("use", transform=_generate_transform([("translate", (x, y)),
                                                         ("scale", (scale,))]),
                   attrib={"xlink:href": f"#{glyph}"})


def _use_run(glyphs: list[tuple[str, float, float, float]], depth: int) -> str:
    """The text matplotlib's XML writer writes for ``glyphs`` inside ``depth`` open elements,
    once the first one has closed the group's start tag: what :func:`_use` writes for each,
    formatted in one go (attributes as the writer orders, quotes and leaves out empty ones)."""
    indent = " " * min(depth, 64)  # the writer indents at most 64 deep
    lines = []
    for glyph, x, y, scale in glyphs:
        transform = _generate_transform([("translate", (x, y)), ("scale", (scale,))])
        moved = f" transform={_quote_escape_attrib(transform)}" if transform else ""
        lines.append(f"{indent}<use xlink:href={_quote_escape_attrib('#' + glyph)}{moved}/>\n")
    return "".join(lines)


_HEIGHTS: dict[tuple[str, ...], tuple[Any, ...]] = {}  # font files -> line gap, ascender, ...
_HEIGHT_TABLES = (("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                  ("hhea", "lineGap", "ascent", "descent"))


class CachingRendererSVG(RendererSVG):
    """matplotlib's SVG renderer with the process-wide :class:`CachedTextToPath`."""

    def __init__(self, width: float, height: float, svgwriter: Any, *args: Any,
                 **kwargs: Any) -> None:
        super().__init__(width, height, svgwriter, *args, **kwargs)
        self._text2path = _TEXT_TO_PATH
        self._stream = svgwriter

    def _draw_text_as_path(self, gc: Any, x: float, y: float, s: str, prop: FontProperties,
                           angle: float, ismath: Any, mtext: Any = None) -> None:
        # as RendererSVG's own for plain text, with each string's run of <use> elements
        # after the first one written once per process and depth in the document
        depth = len(getattr(self.writer, "_XMLWriter__tags", ()))
        if ismath or not depth:  # math text, or a writer that is not the one we know
            return super()._draw_text_as_path(gc, x, y, s, prop, angle, ismath, mtext)
        writer, text2path = self.writer, self._text2path
        writer.comment(s)
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        style = {}
        color = rgb2hex(gc.get_rgb())
        if color != "#000000":
            style["fill"] = color
        alpha = gc.get_alpha() if gc.get_forced_alpha() else gc.get_rgb()[3]
        if alpha != 1:
            style["opacity"] = _short_float_fmt(alpha)
        font_scale = prop.get_size_in_points() / text2path.FONT_SCALE
        writer.start("g", style=_generate_css(style), transform=_generate_transform([
            ("translate", (x, y)), ("rotate", (-angle,)), ("scale", (font_scale, -font_scale))]))
        font = text2path._get_font(prop)
        glyph_info, glyph_map_new, _ = text2path.get_glyphs_with_font(
            font, s, features=features, language=language, glyph_map=self._glyph_map,
            return_new_glyphs_only=True)
        self._update_glyph_map_defs(glyph_map_new)
        if glyph_info:
            _use(writer, *glyph_info[0])  # closes the group's start tag as matplotlib's would
            key = (text2path.layout_key(font, s, features, language), depth)
            run = _USES.get(key)
            if run is None:
                run = _use_run(glyph_info[1:], depth + 1)  # inside the group
                if len(_USES) < MAX_STRINGS:
                    _USES[key] = run
            self._stream.write(run)
        writer.end("g")

    def _get_font_height_metrics(self, prop: FontProperties) -> tuple[Any, Any, Any]:
        # what matplotlib's Text._get_layout reads from the font's tables for every text,
        # with the tables read once per font; the same arithmetic, at the SVG canvas's 72 dpi
        files = _TEXT_TO_PATH._filenames(prop)
        raw = _HEIGHTS.get(files)
        if raw is None:
            raw = (None, None, None, None)
            font = font_for(files)
            for table_name, gap_key, ascent_key, descent_key in _HEIGHT_TABLES:
                table = font.get_sfnt_table(table_name)
                if table is not None:
                    raw = (table[gap_key], table[ascent_key], table[descent_key],
                           font.get_sfnt_table("head")["unitsPerEm"])
                    break
            _HEIGHTS[files] = raw
        gap, ascent, descent, units_per_em = raw
        if units_per_em is None:
            return None, None, None
        dpi = 72  # print_svg draws the figure at 72 dpi
        scale = 1 / units_per_em * prop.get_size_in_points() * dpi / 72
        return ascent * scale, -descent * scale, gap * scale

    def _update_glyph_map_defs(self, glyph_map_new: Any) -> None:
        # as RendererSVG's own, with each glyph's path data converted once per process
        writer = self.writer
        if glyph_map_new:
            writer.start("defs")
            for glyph_repr, (vertices, codes) in glyph_map_new.items():
                glyph_id = self._adjust_glyph_repr(glyph_repr)
                data = _PATH_DATA.get(glyph_repr)
                if data is None:
                    data = self._convert_path(Path(vertices * 64, codes), simplify=False)
                    _PATH_DATA[glyph_repr] = data
                writer.element("path", id=glyph_id, d=data, transform=_GLYPH_SCALE)
            writer.end("defs")
            self._glyph_map.update(glyph_map_new)


class FigureCanvasCachedSVG(FigureCanvasSVG):
    """The SVG canvas, drawing with :class:`CachingRendererSVG`."""

    def print_svg(self, filename: Any, *, bbox_inches_restore: Any = None,
                  metadata: dict[str, Any] | None = None, dpi: Any = None, facecolor: Any = None,
                  edgecolor: Any = None, orientation: Any = None) -> None:
        # as FigureCanvasSVG.print_svg, with the caching renderer; print_figure passes the
        # other renderers' dpi, facecolor, edgecolor and orientation, which SVG ignores
        # (matplotlib drops them for its own backends only)
        # the document is written to memory and encoded once: matplotlib's writer makes
        # hundreds of thousands of small writes, each of which a byte stream would encode
        text = io.StringIO()
        dpi = self.figure.dpi
        self.figure.dpi = 72
        width, height = self.figure.get_size_inches()
        w, h = width * 72, height * 72
        renderer = MixedModeRenderer(
            self.figure, width, height, dpi,
            CachingRendererSVG(w, h, text, image_dpi=dpi, metadata=metadata),
            bbox_inches_restore=bbox_inches_restore)
        self.figure.draw(renderer)
        renderer.finalize()
        with cbook.open_file_cm(filename, "w", encoding="utf-8") as fh:
            if cbook.file_requires_unicode(fh):
                fh.write(text.getvalue())
            else:
                fh.write(text.getvalue().encode("utf-8"))


FigureCanvas = FigureCanvasCachedSVG  # what matplotlib's backend registry looks up


def lay_out(strings: Iterable[str], weight: str = "normal") -> None:
    """Work out the extents and glyph layouts of ``strings`` in the default font now, as a
    chart drawing them would, so that drawing them later costs no FreeType work."""
    prop = FontProperties(weight=weight)  # the current default family, style and size
    font = _TEXT_TO_PATH._get_font(prop)
    for text in strings:
        _TEXT_TO_PATH.get_text_width_height_descent(text, prop, False)
        _TEXT_TO_PATH.get_glyphs_with_font(font, text)


def agg_text_width(s: str, prop: FontProperties, dpi: float) -> float:
    """Width in pixels of one line of plain text ``s`` at ``dpi``, as matplotlib's Agg
    renderer measures it (hinted), with the font read from memory (see :func:`font_for`)."""
    from matplotlib.backends.backend_agg import get_hinting_flag

    font = font_for(_TEXT_TO_PATH._filenames(prop))
    font.clear()
    font.set_size(prop.get_size_in_points(), dpi)
    font.set_text(s, 0.0, flags=get_hinting_flag())
    return font.get_width_height()[0] / 64.0


def cache_sizes() -> dict[str, int]:
    """How many fonts, string extents, string layouts and glyph path data this process keeps."""
    return {**_TEXT_TO_PATH.sizes(), "glyphs": len(_PATH_DATA), "uses": len(_USES)}
