"""The funding gap as JSON (the API's and the CLI's shape) and as CSV with Swedish headers.

JSON gives every amount twice: ``<name>_ore`` (an integer, for programs) and ``<name>`` (the
Swedish text ``1 234,50 kr``, for people). The CSV is what a Swedish spreadsheet opens as is:
UTF-8 with a byte-order mark, semicolons, amounts in kronor with a decimal comma.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal

from ledger.money import Money
from reports.display import format_money
from reports.funding import Figures, FundingGap
from reports.spreadsheet import write_csv

__all__ = ["coverage_text", "donors_text", "to_csv", "to_json"]

_AMOUNTS = (
    "need",
    "sida",
    "booked",
    "allocated",
    "received",
    "committed",
    "projected",
    "gap",
    "surplus",
    "pace",
    "monthly",
)


def coverage_text(bp: int | None) -> str:
    """Hundredths of a percent as ``63,4 %`` (rounded down to a tenth); a dash without a need."""
    if bp is None:
        return "–"
    tenths = Decimal(bp // 10) / 10
    return f"{format_decimal(tenths, format='#,##0.0', locale='sv_SE')} %"


def donors_text(f: Figures, median_gift_ore: int, months_left: int) -> str:
    """What the gap means in people, in Swedish."""
    if f.gap_ore == 0:
        return "Behovet är täckt."
    if f.donors_needed is None or months_left == 0:
        return "Inga hela månader kvar av året att stänga gapet med månadsgivare."
    gift = format_money(Money(median_gift_ore))
    return f"ungefär {f.donors_needed} fler månadsgivare med mediangåvan {gift} i månaden"


def _figures(f: Figures, report: FundingGap) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _AMOUNTS:
        ore = getattr(f, f"{name}_ore")
        out[f"{name}_ore"] = ore
        out[name] = None if ore is None else format_money(Money(ore, report.currency))
    out["coverage_bp"] = f.coverage_bp
    out["coverage"] = coverage_text(f.coverage_bp)
    out["donors_needed"] = f.donors_needed
    out["donors"] = donors_text(f, report.median_gift_ore, report.months_left)
    out["monthly_givers"] = f.monthly_givers
    return out


def to_json(report: FundingGap) -> dict[str, Any]:
    rate = report.churn.monthly_rate
    return {
        "year": report.year,
        "as_of": report.as_of.isoformat(),
        "months_left": report.months_left,
        "currency": report.currency,
        "network": report.network,
        "median_monthly_gift_ore": report.median_gift_ore,
        "median_monthly_gift": format_money(Money(report.median_gift_ore, report.currency)),
        "median_is_fallback": report.median_is_fallback,
        "cancellations": {
            "stopped": report.churn.stopped,
            "exposed": report.churn.exposed,
            # a ratio, not money: six decimals as a string, so no float rounds it
            "monthly_rate": f"{Decimal(rate.numerator) / Decimal(rate.denominator):.6f}",
        },
        "networks": [
            {
                "id": n.network_id,
                "slug": n.slug,
                "name": n.name,
                "status": n.status,
                **_figures(n.figures, report),
            }
            for n in report.networks
        ],
        "unrestricted": None
        if report.unrestricted is None
        else _figures(report.unrestricted, report),
        "total": _figures(report.total, report),
    }


_HEADERS = (
    "Nätverk",
    "Behov (kr)",
    "Varav tidigare Sida (kr)",
    "Mottaget (kr)",
    "Varav allokerat (kr)",
    "Utlovat (kr)",
    "Prognos månadsgivare (kr)",
    "Gap (kr)",
    "Överskott (kr)",
    "Täckning (%)",
    "Takt per månad (kr)",
    "Fler månadsgivare",
    "Aktiva månadsgivare",
)


def _kr(ore: int | None) -> str:
    if ore is None:
        return ""
    return f"{Decimal(ore).scaleb(-2):.2f}".replace(".", ",")


def _row(label: str, f: Figures) -> list[str]:
    coverage = "" if f.coverage_bp is None else _kr(f.coverage_bp)
    return [
        label,
        _kr(f.need_ore),
        _kr(f.sida_ore),
        _kr(f.received_ore),
        _kr(f.allocated_ore),
        _kr(f.committed_ore),
        _kr(f.projected_ore),
        _kr(f.gap_ore),
        _kr(f.surplus_ore),
        coverage,
        _kr(f.pace_ore),
        "" if f.donors_needed is None else str(f.donors_needed),
        str(f.monthly_givers),
    ]


def to_csv(report: FundingGap) -> bytes:
    """One row per network, then the unrestricted money and the total."""
    rows = [list(_HEADERS)]
    rows += [_row(n.name, n.figures) for n in report.networks]
    if report.unrestricted is not None:
        rows.append(_row("Ej öronmärkt (där behovet är störst)", report.unrestricted))
    rows.append(_row("Totalt", report.total))
    return write_csv(rows)
