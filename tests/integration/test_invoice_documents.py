"""Invoice, credit note and reminder PDFs (read back with pypdf, one page rendered to PNG), and the
invoice mailed with its PDF through the outbox to a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import io
import socket
from datetime import date
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from PIL import Image
from pypdf import PdfReader

from ledger.money import Money
from ledger.services import invoice_run, invoices, mail
from reports import invoice_pdf
from tests.support.invoicing import CONFIG, add_network, add_org, pdf_text

DAY = date(2026, 12, 15)


@pytest.fixture
def issued(engine):
    with engine.begin() as conn:
        add_network(conn)
        org = add_org(conn)
        invoice, _ = invoices.issue(
            conn,
            contributor_id=org,
            network="fred",
            lines=[
                ("Gåva till Fred och demokrati, första kvartalet 2027", Money(123_450)),
                ("Extra gåva till studiecirkeln", Money(100_000)),
            ],
            issue_date=DAY,
            due_days=30,
        )
    return invoice


@pytest.fixture
def letterhead(tmp_path):
    logo = tmp_path / "logo.png"
    Image.new("RGB", (240, 80), (139, 26, 26)).save(logo)
    return invoice_pdf.Letterhead.from_config({**CONFIG, "ORGANISATION_LOGO": str(logo)})


def test_the_invoice_pdf_carries_every_field(issued, letterhead, tmp_path):
    pdf = invoice_pdf.render(issued, letterhead)
    text = pdf_text(pdf)
    for expected in (
        "Faktura",
        f"Fakturanummer {issued.number}",
        "Fakturadatum 2026-12-15",
        "Förfallodatum 2027-01-14",
        "IF Metall avd 3",
        "Att: Kim Kassör",
        "Storgatan 1",
        "Plan 3",
        "411 01 Göteborg",
        "Org.nr 802002-1234",
        "Gåva till Fred och demokrati, första kvartalet 2027 1 234,50 kr",
        "Extra gåva till studiecirkeln 1 000,00 kr",
        "Summa att betala 2 234,50 kr",
        "Bankgiro 5050-1055",
        f"OCR-nummer {issued.reference}",
        "Gåva – ingen moms",
        "Solidaritetsorganisationen",
        "Box 1234",
        "Org.nr 802000-0000",
        "Swish 1231181189",
    ):
        assert expected in text, expected
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    assert len(page.images) == 1  # the logo
    html = invoice_pdf.render_html(issued, letterhead)
    assert html.count("<svg") == 1 and 'class="qr"' in html  # the Swish QR, inline SVG


def test_one_page_renders_to_a_png_to_look_at(issued, letterhead, tmp_path):
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(invoice_pdf.render(issued, letterhead))
    try:
        page = document[0]
        image = page.render(scale=1.5).to_pil()
        page.close()
    finally:
        document.close()
    out = tmp_path / "faktura-1.png"
    image.save(out)
    with Image.open(out) as saved:
        width, height = saved.size
    assert abs(height / width - 297 / 210) < 0.01
    assert image.convert("L").getextrema()[0] < 50  # there is dark ink on the page


def test_a_credit_note_and_a_reminder_have_their_own_pdfs(engine, issued, letterhead):
    with engine.begin() as conn:
        note = invoices.credit(conn, issued.number, on=DAY, amount=Money(34_500), reason="Fel")
        after = invoices.get(conn, issued.number)
    credit_text = pdf_text(invoice_pdf.render(note, letterhead))
    for expected in (
        "Kreditfaktura",
        f"Kreditfakturanummer {note.number}",
        f"Avser faktura {issued.number}",
        "Kreditering av faktura 1: Fel 345,00 kr",
        "Krediterat belopp 345,00 kr",
        "Gåva – ingen moms",
    ):
        assert expected in credit_text, expected
    assert "OCR-nummer" not in credit_text
    reminder = pdf_text(invoice_pdf.render(after, letterhead, reminder_no=1))
    assert "Påminnelse 1" in reminder
    assert "Att betala 1 889,50 kr" in reminder  # what is left after the credit


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{controller.port}"
    finally:
        controller.stop()


def test_the_invoice_is_mailed_once_with_its_pdf_attached(engine, issued, letterhead, smtp):
    inbox, url = smtp
    pdf = invoice_pdf.render(issued, letterhead)
    with engine.begin() as conn:
        assert invoice_run.send(conn, issued, pdf, CONFIG) is True
        assert invoice_run.send(conn, issued, pdf, CONFIG) is False
    report = mail.send_due(engine, {**CONFIG, "SMTP_URL": url})
    assert (report.sent, report.failed) == (1, 0)
    (message,) = inbox.messages
    assert message["To"] == "kassor@metall3.se"
    assert message["Subject"] == f"Faktura {issued.number} från Solidaritetsorganisationen"
    body = message.get_body(("plain",)).get_content()
    assert issued.reference in body and "ingen moms" in body
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"faktura-{issued.number}.pdf"
    assert f"OCR-nummer {issued.reference}" in pdf_text(attachment.get_content())
    with engine.connect() as conn:
        assert invoices.get(conn, issued.number).sent_at is not None


def test_a_batch_renders_the_same_documents_in_child_processes_that_are_replaced(issued):
    """The invoice run's renderer gives the same PDFs as ``render``, also across the
    replacement of its child process (here after every two documents)."""
    letterhead = invoice_pdf.Letterhead.from_config(CONFIG)
    expected = pdf_text(invoice_pdf.render(issued, letterhead))
    with invoice_pdf.batch_renderer(CONFIG, workers=2, per_child=2) as render:
        pending = [render.submit(issued, None) for _ in range(5)] + [render.submit(issued, 1)]
        texts = [pdf_text(f.result()) for f in pending[:5]]
        reminder = pdf_text(pending[5].result())
    assert texts == [expected] * 5
    assert "Påminnelse" in reminder and f"OCR-nummer {issued.reference}" in reminder
