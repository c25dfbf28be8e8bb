"""The summary's chart, a PNG for a phone: the town's total, what is left and its red flags,
with a legend for the colours; then coverage by village and by contact person. While the
month runs the colours follow its pace (a village at 50% on the 10th is on track).

Chinese labels need a real CJK font. bangfu depends on `noto-cjk-sans-otc` (Noto Sans CJK, an
OpenType collection; we use its Simplified Chinese face) and also accepts a system font such as
Debian's fonts-noto-cjk or fonts-wqy-microhei. With none, drawing stops with a clear error
instead of a chart of empty boxes.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import fontManager
from matplotlib.ft2font import FT2Font
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from bot.clock import Month
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
CARD_HEIGHT = 2.2  # inches for the town's numbers and the legend
LABEL_ROOM = 190  # the x axis runs past 100% so a full bar's label fits beside it
GREEN, AMBER, RED = "#2e7d32", "#f9a825", "#c62828"
AMBER_FROM = 0.8  # of the expected share: below it a village is far behind (red)
PACE_LINE = "#1565c0"


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


@dataclass(frozen=True)
class Pace:
    """How far along the month should be by the day the numbers are from: 1.0 once it is
    over; on the 10th of a 31-day month 10/31, so a village at 50% is on track, not red."""

    expected: float  # 0..1

    @classmethod
    def of(cls, month: Month, so_far: date | None) -> Pace:
        if so_far is None or so_far >= month.last_day:
            return cls(1.0)
        return cls(so_far.day / month.last_day.day)

    @property
    def running(self) -> bool:
        return self.expected < 1.0

    def colour(self, share: float) -> str:
        """Green: everyone contacted, or on track; amber: a little behind; red: far behind."""
        if share >= 1.0 or share >= self.expected:
            return GREEN
        if share >= AMBER_FROM * self.expected:
            return AMBER
        return RED


def coverage_chart_png(summary: MonthCoverage, title: str, so_far: date | None = None) -> bytes:
    """The town's numbers on top (coverage, uncontacted, red flags) with the colours' legend,
    then two panels of horizontal bars, lowest coverage on top: villages (the town first),
    then contact persons. `so_far`: the month is still running, colours follow its pace."""
    family = chinese_font_family()
    pace = Pace.of(summary.month, so_far)
    villages = [
        (_("Whole town"), summary.town),
        *_lowest([(v.name, v.tally) for v in summary.villages]),
    ]
    persons = _lowest([(p.name, p.tally) for p in summary.persons])
    panels = [
        (_("Coverage by village"), villages, len(summary.villages) + 1, True),
        (_("Coverage by contact person"), persons, len(summary.persons), False),
    ]
    heights = [CARD_HEIGHT] + [max(len(bars), 1) * 0.55 + 1.4 for _t, bars, _n, _f in panels]
    with matplotlib.rc_context({"font.family": family, "font.size": TEXT_SIZE}):
        figure = Figure(figsize=(WIDTH_PX / DPI, sum(heights) + 1.2), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        figure.suptitle(title, fontsize=TEXT_SIZE + 8)
        card, *axes = figure.subplots(3, 1, height_ratios=heights)
        _town_card(card, summary.town, pace)
        for ax, (panel_title, bars, total, flags) in zip(axes, panels, strict=True):
            _panel(ax, panel_title, bars, total, pace, flags)
        buffer = BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def county_chart_png(
    month: Month, title: str, county: Tally, towns: Sequence[tuple[str, Tally]], so_far: date | None
) -> bytes:
    """The county's numbers on top, then one bar per town, lowest coverage first (all the
    towns: a county has 10–25)."""
    family = chinese_font_family()
    pace = Pace.of(month, so_far)
    bars = [(_("Whole county"), county), *_lowest(towns, limit=len(towns))]
    heights = [CARD_HEIGHT, max(len(bars), 1) * 0.55 + 1.4]
    headline = _("Whole county: {coverage} contacted ({contacted}/{households})")
    with matplotlib.rc_context({"font.family": family, "font.size": TEXT_SIZE}):
        figure = Figure(figsize=(WIDTH_PX / DPI, sum(heights) + 1.2), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        figure.suptitle(title, fontsize=TEXT_SIZE + 8)
        card, ax = figure.subplots(2, 1, height_ratios=heights)
        _town_card(card, county, pace, headline)
        _panel(ax, _("Coverage by town"), bars, len(towns) + 1, pace, True)
        buffer = BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _town_card(ax: Axes, town: Tally, pace: Pace, headline: str | None = None) -> None:
    """The town total (or the county's, `headline`) in large type, what is left, red flags,
    and what the colours mean."""
    ax.set_axis_off()
    headline = headline or _("Whole town: {coverage} contacted ({contacted}/{households})")
    ax.text(
        0,
        1,
        headline.format(
            coverage=f"{(town.coverage or 0.0):.0%}",
            contacted=town.contacted,
            households=town.households,
        ),
        fontsize=TEXT_SIZE + 6,
        fontweight="bold",
        va="top",
        color=pace.colour(town.coverage or 0.0) if town.households else "black",
    )
    ax.text(
        0,
        0.62,
        _("Not contacted: {uncontacted} · Red flags: {new} new this month, {open} open").format(
            uncontacted=town.uncontacted, new=town.flags_raised, open=town.flags_open
        ),
        va="top",
    )
    legend = [
        Patch(color=GREEN, label=_("on track") if pace.running else _("all contacted")),
        Patch(color=AMBER, label=_("a little behind")),
        Patch(color=RED, label=_("far behind")),
    ]
    if pace.running:
        expected = _("expected by today: {share}").format(share=f"{pace.expected:.0%}")
        legend.append(Line2D([], [], color=PACE_LINE, linestyle="--", label=expected))
    ax.legend(
        handles=legend,
        loc="lower left",
        ncols=len(legend),
        frameon=False,
        fontsize=TEXT_SIZE - 4,
        handlelength=1.2,
        columnspacing=1.0,
        borderaxespad=0,
    )


def _lowest(
    rows: Sequence[tuple[str, Tally]], limit: int = BARS_PER_PANEL
) -> list[tuple[str, Tally]]:
    """The rows with the lowest coverage (they need attention), at most one panel's worth."""
    counted = [(name, tally) for name, tally in rows if tally.households]
    counted.sort(key=lambda row: (row[1].coverage or 0.0, row[0]))
    return counted[:limit]


def _panel(
    ax: Axes, title: str, bars: list[tuple[str, Tally]], total: int, pace: Pace, flags: bool
) -> None:
    if len(bars) < total:
        title = _("{title} (lowest {shown} of {total})").format(
            title=title, shown=len(bars), total=total
        )
    ax.set_title(title, fontsize=TEXT_SIZE + 4, loc="left")
    if not bars:
        ax.text(0.5, 0.5, _("No households to contact"), ha="center", va="center")
        ax.set_axis_off()
        return
    rows = list(reversed(bars))  # barh draws bottom-up: the first row on top
    shares = [tally.coverage or 0.0 for _name, tally in rows]
    ax.barh(
        [name for name, _tally in rows],
        [share * 100 for share in shares],
        color=[pace.colour(share) for share in shares],
        height=0.7,
    )
    if flags:  # the villages' panel: its first (top) bar is the whole town's
        ax.get_yticklabels()[-1].set_fontweight("bold")
    ax.set_xlim(0, LABEL_ROOM)
    ax.set_xticks([0, 25, 50, 75, 100], ["0", "25%", "50%", "75%", "100%"])
    ax.axvline(100, color="#888888", linewidth=1, zorder=0)
    if pace.running:
        ax.axvline(pace.expected * 100, color=PACE_LINE, linestyle="--", linewidth=1.5, zorder=3)
    for y, ((_name, tally), share) in enumerate(zip(rows, shares, strict=True)):
        ax.text(
            share * 100 + 1.5,
            y,
            _bar_label(tally, flags),
            va="center",
            fontsize=TEXT_SIZE - 4,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},  # over the 100% line
        )
    ax.tick_params(axis="y", labelsize=TEXT_SIZE)
    ax.spines[["top", "right"]].set_visible(False)


def _bar_label(tally: Tally, flags: bool) -> str:
    label = _("{coverage} {contacted}/{households}, {uncontacted} left").format(
        coverage=f"{(tally.coverage or 0.0):.0%}",
        contacted=tally.contacted,
        households=tally.households,
        uncontacted=tally.uncontacted,
    )
    if flags and (tally.flags_raised or tally.flags_open):
        label += _(", flags: {new} new, {open} open").format(
            new=tally.flags_raised, open=tally.flags_open
        )
    return label
