"""The funding gap as JSON (the API's and the CLI's shape) and as CSV with Swedish headers.

JSON gives every amount twice: ``<name>_ore`` (an integer, for programs) and ``<name>`` (the
Swedish text ``1 234,50 kr``, for people). The CSV is what a Swedish spreadsheet opens as is:
UTF-8 with a byte-order mark, semicolons, amounts in kronor with a decimal comma.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.numbers import format_decimal

from ledger.money import Money
from reports.display import format_money
from reports.funding import FailureShare, Figures, FundingGap
from reports.spreadsheet import write_csv

__all__ = [
    "AMOUNTS",
    "coverage_text",
    "donors_text",
    "failure_text",
    "gap_relation_text",
    "guidance_text",
    "next_year_text",
    "to_csv",
    "to_json",
]

# the figures given as amounts, in the JSON's order: ``<name>_ore`` and ``<name>`` each
AMOUNTS = (
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


def failure_text(failures: FailureShare) -> str | None:
    """The failed share of Autogiro and recurring-Swish debits, one Swedish sentence, when any
    failed; the percent to a tenth, rounded half up (``under 0,1 %`` rather than ``0,0 %``)."""
    share = failures.share
    if share == 0:
        return None
    tenths = (Decimal(share.numerator) * 100 / Decimal(share.denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    if tenths == 0:
        percent = "under 0,1 %"
    else:
        percent = f"{format_decimal(tenths, format='#,##0.0', locale='sv_SE')} %"
    return (
        f"{percent} av dragningarna via Autogiro och Swish misslyckades det senaste året; "
        "prognosen räknar med det."
    )


def guidance_text(f: Figures, report: FundingGap) -> str:
    """What to do about the gap, in whole Swedish sentences, on any day of the year (the
    dashboard and the board report say it the same way), then how many monthly debits failed
    when any did (the projection in the gap counts with it)."""
    text = _guidance(f, report)
    failed = failure_text(report.failures)
    return text if failed is None else f"{text} {failed[0].upper()}{failed[1:]}"


def _guidance(f: Figures, report: FundingGap) -> str:
    if f.gap_ore == 0:
        return "Behovet är täckt."
    gap = format_money(Money(f.gap_ore, report.currency))
    if report.months_left == 0:
        if report.as_of.year > report.year:
            return f"Året stängdes med ett gap på {gap}."
        return (
            f"Årets sista månad: om inget mer kommer in före årsskiftet stängs året "
            f"med ett gap på {gap}."
        )
    months = report.months_left
    pace = "" if f.pace_ore is None else format_money(Money(f.pace_ore, report.currency))
    whole = "hel månad" if months == 1 else "hela månader"
    return (
        f"För att stänga gapet behövs {pace} i månaden de {months} {whole} som är kvar: "
        f"{donors_text(f, report.median_gift_ore, months)}."
    )


def gap_relation_text(report: FundingGap) -> str | None:
    """Why the total gap is not the sum of the networks' gaps: gifts without an earmark (not yet
    allocated to a network) cover part of the total need, and so does any network's surplus."""
    if report.unrestricted is None or report.total.gap_ore == 0:
        return None
    networks_gap = sum(n.figures.gap_ore for n in report.networks)
    free = report.unrestricted.covered_ore
    surplus = sum(n.figures.surplus_ore for n in report.networks)

    def kr(ore: int) -> str:
        return format_money(Money(ore, report.currency))

    text = (
        f"Nätverkens gap är tillsammans {kr(networks_gap)}. Gåvor utan öronmärkning som ännu "
        f"inte fördelats ({kr(free)})"
    )
    if surplus:
        text += f" och överskott i nätverk som fått mer än sitt behov ({kr(surplus)})"
    return f"{text} täcker en del av det, så det totala gapet är {kr(report.total.gap_ore)}."


def next_year_text(report: FundingGap) -> str:
    """Next year's starting point, for the last month of this one."""
    f = report.total
    committed = format_money(Money(f.committed_ore, report.currency))
    need = format_money(Money(f.need_ore, report.currency))
    if f.need_ore == 0:
        return f"Behovet för {report.year} är inte budgeterat ännu; {committed} är redan utlovat."
    return (
        f"Behovet för {report.year} är {need}; redan utlovat är {committed}, "
        f"så {coverage_text(f.coverage_bp)} är täckt när året börjar."
    )


def _figures(f: Figures, report: FundingGap) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in AMOUNTS:
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
        "failures": {
            name: {
                "failed": share.failed,
                "decided": share.decided,
                "share": f"{Decimal(share.share.numerator) / Decimal(share.share.denominator):.6f}",
            }
            for name, share in (
                ("autogiro", report.autogiro_failures),
                ("swish", report.swish_failures),
            )
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
