"""The desk's allocations: parts of one line to their targets (accept or split), or several lines
to one target; all or none, and a repeated form token returns what the first submit booked."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import Connection

from ledger.errors import DeskRefused
from ledger.services.reconcile.booking import book_part, lock_line
from ledger.services.reconcile.records import SOURCE_KIND, Allocation, Part, Target, by_token, kr

_TOKEN = re.compile(r"^[A-Za-z0-9]{8,64}$")  # no LIKE wildcards: keys are looked up by prefix
_MAX_NOTE = 500


def check_token(token: str) -> None:
    """Refuse a missing or malformed form token."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise DeskRefused("Formulärets nyckel saknas eller är felaktig. Ladda om sidan.", "token")


def clean_note(note: str | None, *, required: bool) -> str | None:
    """The note trimmed; required when money is sent back."""
    cleaned = (note or "").strip()
    if required and not cleaned:
        raise DeskRefused("Skriv en anteckning om varför pengarna skickas tillbaka.", "note")
    if len(cleaned) > _MAX_NOTE:
        raise DeskRefused(f"Anteckningen får vara högst {_MAX_NOTE} tecken.", "note")
    return cleaned or None


def allocate(
    conn: Connection,
    line_id: int,
    parts: Sequence[Part],
    *,
    token: str,
    user_id: int | None = None,
    on: date | None = None,
    note: str | None = None,
    mail_config: Mapping[str, object] | None = None,
) -> list[Allocation]:
    """Move ``parts`` of one line out of suspense (one part: accept; several: a split).

    The parts together may not exceed the line's ``open_ore``; what is left stays in suspense.
    All parts are booked or none. A repeated ``token`` returns what the first call booked.
    ``mail_config`` (the app's configuration) writes the receipt e-mail of a gift paid this way.
    """
    check_token(token)
    line = lock_line(conn, line_id)
    # Looked up under the line's lock: a racing submit of the same form has committed by now.
    earlier = by_token(conn, token)
    if earlier:
        return earlier
    if not parts:
        raise DeskRefused("Ange minst ett belopp och vart det ska.", "amount")
    returned = any(p.target.kind == "returned" for p in parts)
    note = clean_note(note, required=returned)
    for i, part in enumerate(parts):
        field = "amount" if len(parts) == 1 else f"parts[{i}].amount"
        if part.amount_ore <= 0:
            raise DeskRefused("Beloppet måste vara större än 0,00 kr.", field)
    total = sum(p.amount_ore for p in parts)
    if total > line.open_ore:
        raise DeskRefused(
            f"Beloppet {kr(total)} är större än det som återstår ({kr(int(line.open_ore))}).",
            "amount",
        )
    day = on or date.today()
    booked = []
    for i, part in enumerate(parts, start=1):
        key = f"{SOURCE_KIND}:{token}:{i}"
        done = book_part(
            conn, line, part, key, day=day, note=note, user_id=user_id, mail_config=mail_config
        )
        if done is not None:
            booked.append(done)
    return booked


def allocate_lines(
    conn: Connection,
    line_ids: Sequence[int],
    target: Target,
    *,
    token: str,
    user_id: int | None = None,
    on: date | None = None,
    mail_config: Mapping[str, object] | None = None,
) -> list[Allocation]:
    """Several lines to one target, each with all that is open on it; all or none."""
    check_token(token)
    ids = sorted(set(line_ids))
    if not ids:
        raise DeskRefused("Markera minst en bankrad.", "line_id")
    if target.kind == "returned":
        raise DeskRefused("Återbetalning görs en bankrad i taget, med en anteckning.", "target")
    # Lock every line first, in id order (no deadlock between two desks), then look for a
    # racing submit of the same form, as in ``allocate``.
    lines = [lock_line(conn, line_id) for line_id in ids]
    earlier = by_token(conn, token)
    if earlier:
        return earlier
    day = on or date.today()
    booked = []
    for i, line in enumerate(lines, start=1):
        line_id = line.id
        if line.open_ore <= 0:
            raise DeskRefused(f"Bankrad {line_id} har inget kvar att koppla.", "line_id")
        part = Part(target, int(line.open_ore))
        key = f"{SOURCE_KIND}:{token}:{i}"
        done = book_part(
            conn, line, part, key, day=day, note=None, user_id=user_id, mail_config=mail_config
        )
        if done is not None:
            booked.append(done)
    return booked
