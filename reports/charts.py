"""The dashboard's charts as SVG made on the server (pygal), one string for the page and the PDF.

Each chart carries a ``<title>`` and a ``<desc>`` (``role="img"``, ``aria-labelledby``) and the
templates put a table with the same figures beside it, so a screen reader and a printout miss
nothing. No script: the page works without JavaScript and WeasyPrint draws the same picture.
Chart ids are fixed (``chart-<name>``) rather than pygal's random ones, so the same figures
give the same bytes. Axis values are whole kronor: a picture needs no öre, the tables have them.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape, unescape

import pygal
from pygal.style import Style

from ledger.money import Money
from reports.dashboard import Dashboard, GiftBand, MonthPoint, Share
from reports.display import format_money
from reports.funding import NetworkGap

# pygal adds a legacy import hook for its map plugins (which Kassan does not use) to
# ``sys.meta_path``; Python warns each time an import falls through to it, so it goes again.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

__all__ = ["Chart", "band_chart", "charts", "gap_chart", "income_chart", "share_chart"]

CHARTS_KEPT = 256  # charts kept per kind: a few views (years, networks) each with its figures
MONTHS = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
# Colours told apart by people with the common colour-vision deficiencies (Okabe–Ito).
_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#222222",
    foreground_strong="#111111",
    foreground_subtle="#bbbbbb",
    font_family="'DejaVu Sans', Arial, sans-serif",
    colors=("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9"),
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    value_font_size=12,
    title_font_size=14,
)
_OPEN = re.compile(r"<svg\b([^>]*)>")
_ID = re.compile(r'id="(chart-[0-9a-f-]+)"')
# pygal writes its settings into a script for its tooltips even with ``js=[]``
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
_STYLE_ELEMENT = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.DOTALL)
# The tooltip (drawn by pygal's script, which Kassan leaves out) is hidden by a style attribute;
# a Content Security Policy without 'unsafe-inline' refuses style attributes, so the rule goes
# into the chart's stylesheet instead.
_HIDDEN_TOOLTIP = ' style="opacity: 0"'


@dataclass(frozen=True, slots=True)
class Chart:
    name: str
    title: str
    desc: str
    svg: str  # safe to put in a page as it is: pygal's markup and our escaped text
    # The CSP source that allows the chart's own <style> element ("'sha256-...'"): a page that
    # shows the chart names it in its style-src, so the policy needs no 'unsafe-inline'.
    style_source: str


def _kr(value: float | int | None) -> str:
    # pygal hands axis ticks and values back as numbers of whole kronor
    return "" if value is None else format_money(Money(round(value) * 100))


def _count(value: float | int | None) -> str:
    # a count has no fractions: ticks between whole numbers go unlabelled
    return "" if value is None or value != int(value) else str(int(value))


def _config(**extra: object) -> dict[str, object]:
    return {
        "style": _STYLE,
        "js": [],
        "disable_xml_declaration": True,
        "explicit_size": False,
        "width": 760,
        "height": 360,
        "value_formatter": _kr,
        "legend_at_bottom": True,
        "print_values": False,
        "show_minor_x_labels": True,
        "truncate_label": -1,  # whole amounts and names, never "2 000..."
        "truncate_legend": -1,
        "max_scale": 6,  # few enough ticks that "14 000,00 kr" fits beside the next one
        **extra,
    }


def _finish(name: str, title: str, desc: str, svg: str) -> Chart:
    """Drop the script, fix the id, and put the title and description first, where screen
    readers look for them."""
    svg = _SCRIPT.sub("", svg)
    found = _ID.search(svg)
    if found:
        svg = svg.replace(found.group(1), f"chart-{name}")
    svg = svg.replace(_HIDDEN_TOOLTIP, "")
    svg = _STYLE_ELEMENT.sub(
        lambda m: f"{m.group(1)}{m.group(2)}\n#chart-{name} .tooltip{{opacity:0}}{m.group(3)}",
        svg,
        count=1,
    )
    head = (
        f'<title id="chart-{name}-title">{escape(title)}</title>'
        f'<desc id="chart-{name}-desc">{escape(desc)}</desc>'
    )
    svg = _OPEN.sub(
        lambda m: (
            f'<svg{m.group(1)} role="img" '
            f'aria-labelledby="chart-{name}-title chart-{name}-desc">{head}'
        ),
        svg,
        count=1,
    )
    return Chart(name, title, desc, svg, _style_source(svg))


def _style_source(svg: str) -> str:
    """The CSP hash source of the chart's one <style> element: sha256 of its text as the
    browser reads it (pygal writes ``&gt;`` for ``>``; the hash is over the decoded text)."""
    found = _STYLE_ELEMENT.search(svg)
    if found is None:
        raise ValueError("a pygal chart without its stylesheet")
    digest = hashlib.sha256(unescape(found.group(2)).encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _whole_kr(ore: int) -> int:
    return ore // 100


def gap_chart(networks: Sequence[NetworkGap]) -> Chart:
    return _gap_chart(
        tuple(
            (
                n.name,
                (
                    n.figures.received_ore,
                    n.figures.committed_ore,
                    n.figures.projected_ore,
                    n.figures.gap_ore,
                ),
            )
            for n in networks
        )
    )


# What each chart draws is a small tuple of names and amounts; the same figures give the same
# chart, so a chart is drawn once per figures (pygal takes 5-20 ms a chart) and kept.
@functools.lru_cache(maxsize=CHARTS_KEPT)
def _gap_chart(rows: tuple[tuple[str, tuple[int, int, int, int]], ...]) -> Chart:
    title = "Behov per nätverk: mottaget, utlovat, prognos och gap"
    chart = pygal.HorizontalStackedBar(**_config(height=max(200, 60 + 40 * len(rows))))
    # pygal draws the first label at the bottom: reversed, the chart reads top-down in the
    # same (Swedish alphabetical) order as the table beside it.
    drawn = list(reversed(rows))
    chart.x_labels = [r[0] for r in drawn]
    for i, label in enumerate(("Mottaget", "Utlovat", "Prognos", "Gap")):
        chart.add(label, [_whole_kr(max(figures[i], 0)) for _, figures in drawn])
    parts = "; ".join(f"{name}: gap {format_money(Money(figures[3]))}" for name, figures in rows)
    desc = f"Staplade staplar per nätverk. {parts or 'Inga nätverk.'}"
    return _finish("gap", title, desc, chart.render(is_unicode=True))


def income_chart(months: Sequence[MonthPoint], year: int, through: int = 12) -> Chart:
    """``through``: the last month with figures this year; the line stops there."""
    return _income_chart(tuple(months), year, through)


@functools.lru_cache(maxsize=CHARTS_KEPT)
def _income_chart(months: tuple[MonthPoint, ...], year: int, through: int) -> Chart:
    title = f"Ackumulerade intäkter {year} mot takten som behövs"
    chart = pygal.Line(**_config(show_dots=True, dots_size=3))
    chart.x_labels = list(MONTHS)
    chart.add(
        str(year), [_whole_kr(p.this_year_ore) if p.month <= through else None for p in months]
    )
    chart.add(str(year - 1), [_whole_kr(p.last_year_ore) for p in months])
    chart.add("Jämn takt mot behovet", [_whole_kr(p.pace_ore) for p in months])
    end = months[-1] if months else None
    desc = (
        f"Linjer per månad. Helår {year}: {format_money(Money(end.this_year_ore))}; "
        f"{year - 1}: {format_money(Money(end.last_year_ore))}; "
        f"behov: {format_money(Money(end.pace_ore))}."
        if end
        else "Inga månader."
    )
    return _finish("income", title, desc, chart.render(is_unicode=True))


def share_chart(name: str, title: str, shares: Sequence[Share]) -> Chart:
    return _share_chart(name, title, tuple((s.label, s.net_ore) for s in shares))


@functools.lru_cache(maxsize=CHARTS_KEPT)
def _share_chart(name: str, title: str, shares: tuple[tuple[str, int], ...]) -> Chart:
    chart = pygal.HorizontalBar(
        **_config(height=max(180, 80 + 36 * len(shares)), show_legend=False)
    )
    chart.x_labels = [label for label, _ in shares]
    chart.add("Netto", [_whole_kr(net) for _, net in shares])
    parts = "; ".join(f"{label}: {format_money(Money(net))}" for label, net in shares)
    desc = f"Liggande staplar. {parts or 'Inga intäkter ännu.'}"
    return _finish(name, title, desc, chart.render(is_unicode=True))


def band_chart(bands: Sequence[GiftBand]) -> Chart:
    return _band_chart(tuple(bands))


@functools.lru_cache(maxsize=CHARTS_KEPT)
def _band_chart(bands: tuple[GiftBand, ...]) -> Chart:
    title = "Gåvornas storlek: antal gåvor per storleksklass"
    # Six band labels side by side run together ("10 000–49 999 kr50 000 kr och mer"):
    # slanted, each has room of its own.
    chart = pygal.Bar(**_config(show_legend=False, value_formatter=_count, x_label_rotation=25))
    chart.x_labels = [b.label for b in bands]
    chart.add("Antal gåvor", [b.gifts for b in bands])
    parts = "; ".join(f"{b.label}: {b.gifts} gåvor" for b in bands)
    return _finish("bands", title, f"Staplar. {parts}.", chart.render(is_unicode=True))


def _through(dash: Dashboard) -> int:
    as_of, year = dash.gap.as_of, dash.gap.year
    return 12 if as_of.year > year else as_of.month if as_of.year == year else 0


def charts(dash: Dashboard) -> dict[str, Chart]:
    """Every chart of the dashboard, by name."""
    return {
        "gap": gap_chart(dash.gap.networks),
        "income": income_chart(dash.months, dash.gap.year, _through(dash)),
        "channels": share_chart("channels", "Intäkter per kanal", dash.channels),
        "kinds": share_chart("kinds", "Privatpersoner och organisationer", dash.kinds),
        "bands": band_chart(dash.bands),
    }
