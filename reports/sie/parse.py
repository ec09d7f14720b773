"""Reading SIE 4 files: a pure function from bytes to a ``SieFile`` and the problems found.

The SIE 4B format: one record per line, ``#LABEL`` then fields separated by spaces or tabs;
a field with spaces is quoted, a quote inside it written ``\\"``; an object list is written
``{dim "code" ...}``; a voucher (#VER) is followed by its #TRANS rows between ``{`` and ``}``.
Files are meant to be CP437 (``#FORMAT PC8``), but programs also write UTF-8 and Latin-1
under that label, so the encoding is detected from the bytes. Labels Kassan does not use
(#SRU, #PSALDO, #PBUDGET, #OIB, ...) are skipped, as the format tells readers to do.
Problems are collected with their line number rather than raised at the first one, so one
run tells the finance officer everything that is wrong with the file.
"""

from __future__ import annotations

import re
from datetime import date

from reports.sie.model import (
    KTYP_LETTERS,
    SieAccount,
    SieBalance,
    SieFile,
    SieProblem,
    SieTrans,
    SieVoucher,
    SieYear,
    kr,
)

Token = str | tuple[str, ...]  # a field, or an object list as its flat list of fields

_AMOUNT = re.compile(r"^([+-]?)(\d*)(?:[.,](\d{0,2}))?$")
_ACCOUNT = re.compile(r"^\d{1,10}$")
# Å Ä Ö å ä ö é ü as each encoding writes them: whichever reads as more Swedish letters wins.
_CP437_LETTERS = frozenset(b"\x8f\x8e\x99\x86\x84\x94\x82\x81\x90")
_LATIN1_LETTERS = frozenset(b"\xc5\xc4\xd6\xe5\xe4\xf6\xe9\xfc\xc9")


def decode(data: bytes) -> tuple[str, str]:
    """The text of a SIE file and the encoding it turned out to be in."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8"
    if any(b > 0x7F for b in data):
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass  # not UTF-8: one of the 8-bit encodings below
        cp437 = sum(1 for b in data if b in _CP437_LETTERS)
        latin1 = sum(1 for b in data if b in _LATIN1_LETTERS)
        if latin1 > cp437:
            return data.decode("latin-1"), "latin-1"
    return data.decode("cp437"), "cp437"


def split_fields(line: str) -> list[Token]:
    """Split one record into fields; raises ValueError for an unclosed quote or list."""
    out: list[Token] = []
    group: list[str] | None = None
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch in " \t":
            i += 1
            continue
        if ch == "{":
            if group is not None:
                raise ValueError("objektlista inom objektlista")
            group = []
            i += 1
            continue
        if ch == "}":
            if group is None:
                raise ValueError("'}' utan '{'")
            out.append(tuple(group))
            group = None
            i += 1
            continue
        if ch == '"':
            i += 1
            buf = []
            # Real files break the rules in two ways that are read here as their writers
            # meant: a text cut off without its closing quote (it ends at the line's end),
            # and a bare quote inside a text (a quote closes the field only when a space,
            # a '}' or the line's end follows it).
            while i < n:
                ch = line[i]
                if ch == "\\" and i + 1 < n and line[i + 1] in '"\\':
                    buf.append(line[i + 1])
                    i += 2
                    continue
                if ch == '"' and (i + 1 == n or line[i + 1] in " \t}"):
                    i += 1
                    break
                buf.append(ch)
                i += 1
            field = "".join(buf)
        else:
            start = i
            while i < n and line[i] not in ' \t{}"':
                i += 1
            field = line[start:i]
        (out if group is None else group).append(field)
    if group is not None:
        raise ValueError("objektlista som inte avslutas med '}'")
    return out


def parse_amount(text: str) -> int:
    """``-1234.5`` -> -123450 öre, exactly (no float)."""
    m = _AMOUNT.match(text.strip())
    if m is None or not (m.group(2) or m.group(3)):
        raise ValueError(f"ogiltigt belopp {text!r}")
    sign, whole, frac = m.group(1), m.group(2) or "0", (m.group(3) or "").ljust(2, "0")
    ore = int(whole) * 100 + int(frac)
    return -ore if sign == "-" else ore


def parse_date(text: str) -> date:
    if not (len(text) == 8 and text.isdigit()):
        raise ValueError(f"ogiltigt datum {text!r} (ska vara ÅÅÅÅMMDD)")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise ValueError(f"ogiltigt datum {text!r}") from None


def _text(fields: list[Token], i: int) -> str:
    if i >= len(fields):
        return ""
    f = fields[i]
    if isinstance(f, tuple):
        raise ValueError(f"fält {i} är en objektlista, inte en text")
    return f


def _year(fields: list[Token], i: int) -> int:
    """A year number relative to the file's year: 0, -1, -2 ..."""
    value = _text(fields, i)
    if not value.lstrip("-").isdigit():
        raise ValueError(f"ogiltigt årsnummer {value!r} (0, -1, ...)")
    return int(value)


def _need(fields: list[Token], count: int, label: str) -> None:
    if len(fields) < count:
        raise ValueError(f"{label} behöver minst {count} fält, har {len(fields)}")


class _Reader:
    def __init__(self) -> None:
        self.sie = SieFile()
        # The #VER awaiting its block (series, number, date, text, line); None while a bad
        # #VER's block is skipped, so one bad header does not also report each of its rows.
        self.voucher: tuple[str, str, date, str, int] | None = None
        self.pending = False  # a #VER was read and its '{' has not come yet
        self.trans: list[SieTrans] | None = None  # inside a voucher's { }
        self.skipping = False  # inside the block of a #VER that could not be read

    def problem(self, line: int, message: str) -> None:
        self.sie.problems.append(SieProblem(line, message))

    def record(self, label: str, fields: list[Token], no: int) -> None:
        sie = self.sie
        if self.skipping:
            return
        if self.pending and label != "#VER":
            if self.voucher is not None:
                self.problem(self.voucher[4], "#VER utan rader ('{' ... '}')")
            self.pending, self.voucher = False, None
        if self.trans is not None and label != "#TRANS":
            # #RTRANS is followed by the same row as a #TRANS and #BTRANS is a removed row:
            # only #TRANS rows make up the voucher, which is how the format stays readable
            # by programs that predate the other two.
            if label not in ("#RTRANS", "#BTRANS"):
                self.problem(no, f"{label} inuti en verifikation")
            return
        if label == "#TRANS":
            if self.trans is None:
                raise ValueError("#TRANS utanför en verifikation")
            self.trans.append(self._trans(fields, no))
        elif label == "#VER":
            if self.pending and self.voucher is not None:
                self.problem(self.voucher[4], "#VER utan rader ('{' ... '}')")
            self.pending, self.voucher = True, None
            _need(fields, 3, "#VER")
            when = parse_date(_text(fields, 2))
            self.voucher = (_text(fields, 0), _text(fields, 1), when, _text(fields, 3), no)
        elif label == "#KONTO":
            _need(fields, 2, "#KONTO")
            code = _text(fields, 0)
            old = sie.accounts.get(code)
            sie.accounts[code] = SieAccount(
                code, _text(fields, 1).strip(), no, old.ktyp if old else None
            )
        elif label == "#KTYP":
            code, letter = _text(fields, 0), _text(fields, 1).upper()
            if not letter:
                return  # a type left blank (seen for programs' pseudo accounts): unknown
            if letter not in KTYP_LETTERS:
                raise ValueError(f"okänd kontotyp {letter!r} (T, S, K eller I)")
            old = sie.accounts.get(code)
            sie.accounts[code] = SieAccount(code, old.name if old else "", no, letter)
        elif label in ("#IB", "#UB", "#RES"):
            _need(fields, 3, label)
            account = _text(fields, 1)
            if not _ACCOUNT.match(account):
                raise ValueError(f"ogiltigt kontonummer {account!r}")
            year = _year(fields, 0)
            sie.balances.append(
                SieBalance(label[1:], year, account, parse_amount(_text(fields, 2)), no)
            )
        elif label == "#RAR":
            _need(fields, 3, "#RAR")
            year = _year(fields, 0)
            start, end = parse_date(_text(fields, 1)), parse_date(_text(fields, 2))
            if end < start:
                raise ValueError("räkenskapsåret slutar före det börjar")
            sie.years[year] = SieYear(year, start, end)
        elif label == "#DIM":
            _need(fields, 2, "#DIM")
            sie.dimensions[_text(fields, 0)] = _text(fields, 1)
        elif label == "#OBJEKT":
            _need(fields, 3, "#OBJEKT")
            sie.objects[(_text(fields, 0), _text(fields, 1))] = _text(fields, 2)
        elif label == "#ORGNR":
            sie.org_number = _text(fields, 0).strip()
            sie.org_number_line = no
        elif label == "#FNAMN":
            sie.company_name = _text(fields, 0).strip()
        elif label == "#PROGRAM":
            sie.program = " ".join(_text(fields, i) for i in range(len(fields))).strip()
        elif label == "#FORMAT":
            sie.format = _text(fields, 0)
        elif label == "#SIETYP":
            sie.sie_type = _text(fields, 0)
        elif label == "#KPTYP":
            sie.chart_type = _text(fields, 0)
        elif label == "#VALUTA":
            sie.currency = _text(fields, 0) or "SEK"
        elif label == "#GEN":
            sie.generated = parse_date(_text(fields, 0))

    def _trans(self, fields: list[Token], no: int) -> SieTrans:
        _need(fields, 2, "#TRANS")
        account = _text(fields, 0)
        objects: tuple[tuple[str, str], ...] = ()
        rest = fields[1:]
        if isinstance(rest[0], tuple):
            flat = rest[0]
            if len(flat) % 2:
                raise ValueError("objektlistan ska ha par av dimension och objekt")
            objects = tuple((flat[i], flat[i + 1]) for i in range(0, len(flat), 2))
            rest = rest[1:]
        if not rest or isinstance(rest[0], tuple):
            raise ValueError("#TRANS saknar belopp")
        return SieTrans(account, objects, parse_amount(rest[0]), no)

    def open_block(self) -> None:
        if not self.pending or self.trans is not None:
            raise ValueError("'{' utan #VER före")
        self.pending = False
        if self.voucher is None:
            self.skipping = True  # its #VER was refused already, with the reason
        else:
            self.trans = []

    def close_block(self) -> None:
        if self.skipping:
            self.skipping = False
            return
        if self.trans is None or self.voucher is None:
            raise ValueError("'}' utan '{'")
        series, number, when, text, line = self.voucher
        voucher = SieVoucher(series, number, when, text, line, tuple(self.trans))
        self.voucher, self.trans = None, None
        self.sie.vouchers.append(voucher)
        if voucher.difference_ore:
            self.problem(
                line,
                f"{voucher.name()} balanserar inte: debet och kredit skiljer sig med "
                f"{kr(voucher.difference_ore)}",
            )


def parse(data: bytes) -> SieFile:
    """Read a SIE file. Never raises for bad content: problems land in ``SieFile.problems``."""
    text, encoding = decode(data)
    reader = _Reader()
    reader.sie.encoding = encoding
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            if line == "{":
                reader.open_block()
            elif line == "}":
                reader.close_block()
            elif line.startswith("#"):
                fields = split_fields(line)
                label = str(fields[0]).upper()
                reader.record(label, fields[1:], no)
            else:
                reader.problem(no, f"raden börjar inte med en etikett (#...): {line[:40]!r}")
        except ValueError as exc:
            reader.problem(no, str(exc))
    if reader.trans is not None and reader.voucher is not None:
        reader.problem(reader.voucher[4], "verifikationen avslutas aldrig med '}'")
    elif reader.pending and reader.voucher is not None:
        reader.problem(reader.voucher[4], "#VER utan rader ('{' ... '}')")
    return reader.sie
