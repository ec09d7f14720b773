"""What a camt file is, told from its root element, and what is wrong with XML that is not one
to read: a document type declaration, an entity, broken XML, a camt.052, an unknown namespace.

Each fault is a ``(line, field, message)`` for the reader's list of errors, in Swedish for the
finance staff who import the file.
"""

from __future__ import annotations

import re
from typing import BinaryIO

from lxml import etree

__all__ = [
    "DOCTYPE_FAULT",
    "NAMESPACE",
    "Fault",
    "declares_doctype",
    "document_format",
    "syntax_fault",
]

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:(camt\.05([234])\.001\.(0[1-9]|1[0-4]))$")

Fault = tuple[int | None, str | None, str]

_INTRADAY = (
    "camt.052 är en dagsrapport (intraday) över kontots rörelser under dagen, inte ett "
    "kontoutdrag: posterna i den kan ändras eller försvinna innan dagen är slut. Läs in dagens "
    "kontoutdrag (camt.053) eller aviseringar (camt.054) i stället"
)


# Refused before any entity is used: with a DTD, XML can read local files (external entities)
# or fill the memory (billion laughs). Bank files have none.
DOCTYPE_FAULT: Fault = (
    1,
    "DOCTYPE",
    "filen har en DOCTYPE-deklaration (DTD); bankfiler har ingen, och en DTD kan "
    "låta XML läsa andra filer eller fylla minnet, så filen läses inte in",
)
_FIRST_ELEMENT = re.compile(rb"<(?![?!])")
HEAD_BYTES = 64 * 1024  # where a document type declaration would be: before the first element


class Replayed:
    """The file's stream with its first bytes, already read, put back in front."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head, self._rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._rest.read(size)
        if size is None or size < 0:
            out, self._head = self._head + self._rest.read(), b""
            return out
        out, self._head = self._head[:size], self._head[size:]
        return out


def declares_doctype(head: bytes) -> bool:
    """Whether the file's first bytes declare a document type before its first element: told
    from the bytes, before libxml2 reads the declaration (whose own limits, which differ
    between versions, would otherwise answer first with a less clear message)."""
    found = head.find(b"<!DOCTYPE")
    element = _FIRST_ELEMENT.search(head)
    return found != -1 and (element is None or found < element.start())


def document_format(root: etree._Element) -> tuple[str, str] | Fault:
    """``(format, namespace)`` of a camt.053/054 document (``"camt.054.001.08"``), or the fault
    that refuses it; called at the root's start, before anything inside it is read."""
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        # a declaration past the bytes ``declares_doctype`` looks at (a long prolog)
        return DOCTYPE_FAULT
    qname = etree.QName(root)
    namespace = qname.namespace or ""
    match = NAMESPACE.match(namespace) if qname.localname == "Document" else None
    if match is not None and match.group(2) == "2":
        return root.sourceline, "Document", _INTRADAY
    if match is None or match.group(3) == "01":
        return (
            root.sourceline,
            "Document",
            f"okänt format (namnrymd {namespace!r}): väntade camt.053 eller camt.054, "
            "version 001.02 till 001.14",
        )
    return match.group(1), namespace


def syntax_fault(exc: etree.XMLSyntaxError) -> Fault:
    """Broken XML, or an entity reference (never resolved), where libxml2 found it."""
    # iterparse may raise a generic "no element found" at line 0; libxml2's own last error in
    # the log says what and where.
    logged = next((e for e in reversed(exc.error_log) if e.level_name in ("ERROR", "FATAL")), None)
    line = logged.line if logged is not None and logged.line else exc.lineno
    if logged is not None and logged.type_name == "ERR_UNDECLARED_ENTITY":
        return (
            line,
            "entity",
            f"filen innehåller en entitetsreferens ({logged.message}); bankfiler har inga, "
            "och de löses aldrig upp, så filen läses inte in",
        )
    message = logged.message if logged is not None and not exc.lineno else exc.msg
    return line, None, f"XML-filen är trasig: {message}"
