"""The summary's chart: coverage by village and by contact person, as a PNG for a phone.

Chinese labels need a real CJK font. bangfu depends on `noto-cjk-sans-otc` (Noto Sans CJK, an
OpenType collection; we use its Simplified Chinese face) and also accepts a system font such as
Debian's fonts-noto-cjk or fonts-wqy-microhei. With none, drawing stops with a clear error
instead of a chart of empty boxes.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from io import BytesIO

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import fontManager
from matplotlib.ft2font import FT2Font

from bot.core.coverage.month_summary import MonthCoverage, Tally
from bot.errors import DomainError
from bot.i18n import N_
from bot.i18n import gettext as _

log = logging.getLogger(__name__)

# Simplified Chinese faces first: the Japanese and Korean faces draw some characters differently.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
)
PROBE = "镇村户联系覆盖率"
WIDTH_PX = 1080
DPI = 100
BARS_PER_PANEL = 20  # more would shrink below legibility once Telegram scales the photo
TEXT_SIZE = 20


class MissingCJKFont(DomainError):
    """No font that draws Chinese: the chart would show boxes (豆腐块) instead of names."""


@functools.cache
def chinese_font_family() -> str:
    """The font family matplotlib draws Chinese with; MissingCJKFont when there is none."""
    try:
        import noto_cjk_sans_otc

        fontManager.addfont(str(noto_cjk_sans_otc.FONT_PATH))
    except (ImportError, OSError, RuntimeError) as error:
        log.warning("bundled Noto Sans CJK not usable (%s); looking for a system font", error)
    for family in CJK_FAMILIES:
        for entry in fontManager.ttflist:
            if entry.name == family and _draws_chinese(entry.fname, entry.index):
                return family
    raise MissingCJKFont(
        N_(
            "No Chinese font is installed, so the chart cannot be drawn. Reinstall bangfu "
            "(scripts/setup), which brings Noto Sans CJK, or install a system font: "
            "apt-get install fonts-noto-cjk"
        )
    )


def _draws_chinese(path: str, index: int) -> bool:
    try:
        font = FT2Font(path, face_index=index)
    except (OSError, RuntimeError):
        return False
    return all(font.get_char_index(ord(char)) for char in PROBE)


def coverage_chart_png(summary: MonthCoverage, title: str) -> bytes:
    """Two panels of horizontal bars, lowest coverage on top: villages, then contact persons."""
    family = chinese_font_family()
    villages = _lowest([(v.name, v.tally) for v in summary.villages])
    persons = _lowest([(p.name, p.tally) for p in summary.persons])
    panels = [
        (_("Coverage by village"), villages, len(summary.villages)),
        (_("Coverage by contact person"), persons, len(summary.persons)),
    ]
    heights = [max(len(bars), 1) * 0.55 + 1.4 for _title, bars, _total in panels]
    with matplotlib.rc_context({"font.family": family, "font.size": TEXT_SIZE}):
        figure = Figure(figsize=(WIDTH_PX / DPI, sum(heights) + 1.2), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        figure.suptitle(title, fontsize=TEXT_SIZE + 8)
        axes = figure.subplots(2, 1, height_ratios=heights)
        for ax, (title, bars, total) in zip(axes, panels, strict=True):
            _panel(ax, title, bars, total)
        buffer = BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _lowest(rows: Sequence[tuple[str, Tally]]) -> list[tuple[str, Tally]]:
    """The rows with the lowest coverage (they need attention), at most one panel's worth."""
    counted = [(name, tally) for name, tally in rows if tally.households]
    counted.sort(key=lambda row: (row[1].coverage or 0.0, row[0]))
    return counted[:BARS_PER_PANEL]


def _panel(ax: Axes, title: str, bars: list[tuple[str, Tally]], total: int) -> None:
    if len(bars) < total:
        title = _("{title} (lowest {shown} of {total})").format(
            title=title, shown=len(bars), total=total
        )
    ax.set_title(title, fontsize=TEXT_SIZE + 4, loc="left")
    if not bars:
        ax.text(0.5, 0.5, _("No households to contact"), ha="center", va="center")
        ax.set_axis_off()
        return
    names = [name for name, _tally in reversed(bars)]  # barh draws bottom-up
    shares = [(tally.coverage or 0.0) * 100 for _name, tally in reversed(bars)]
    colours = [_colour(share) for share in shares]
    ax.barh(names, shares, color=colours, height=0.7)
    ax.set_xlim(0, 125)  # room for the labels right of a full bar
    ax.set_xticks([0, 25, 50, 75, 100], ["0", "25%", "50%", "75%", "100%"])
    ax.axvline(100, color="#888888", linewidth=1, zorder=0)
    for y, (_name, tally) in enumerate(reversed(bars)):
        ax.text(
            (tally.coverage or 0.0) * 100 + 1.5,
            y,
            f"{(tally.coverage or 0.0):.0%} {tally.contacted}/{tally.households}",
            va="center",
            fontsize=TEXT_SIZE - 2,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},  # over the 100% line
        )
    ax.tick_params(axis="y", labelsize=TEXT_SIZE)
    ax.spines[["top", "right"]].set_visible(False)


def _colour(share: float) -> str:
    if share >= 100:
        return "#2e7d32"  # everyone contacted
    if share >= 80:
        return "#f9a825"
    return "#c62828"
