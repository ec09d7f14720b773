"""The app's one table from domain error to HTTP status, and the codes the API publishes."""

import pytest

from kassan.web.errors import code_of, status_of
from ledger import errors as ledger_errors
from reports import errors as report_errors
from webhooks import errors as webhook_errors
from webhooks.errors import ParseError, SwishRefused


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ledger_errors.InvalidEntry("x"), 422),
        (ledger_errors.UnbalancedEntry("x"), 422),
        (ledger_errors.PeriodClosed("x"), 409),
        (ledger_errors.AlreadyReversed("x"), 409),
        (ledger_errors.EntryNotFound("x"), 404),
        (ledger_errors.IntegrityViolation("x"), 500),
        (ledger_errors.DimensionRefused("x"), 422),
        (ledger_errors.DimensionConflict("x"), 409),
        (ledger_errors.DimensionNotFound("x"), 404),
        (ledger_errors.PledgeNotFound("x"), 404),
        (ledger_errors.InvoiceNotFound("x"), 404),
        (ledger_errors.CollectionConflict("x"), 409),
        (ledger_errors.AllocationRefused("x"), 422),
        (ledger_errors.AllocationConflict("x"), 409),
        (ledger_errors.ReceiptConflict("x"), 409),
        (ledger_errors.DeskRefused("x"), 422),
        (webhook_errors.SwishNotConfigured("x"), 503),
        (webhook_errors.SwishUnavailable("x"), 503),
        (SwishRefused(400, []), 422),
        (webhook_errors.SwishNotFound("x"), 404),
        (webhook_errors.SwishRequestNotFound("x"), 404),
        (webhook_errors.SwishRequestConflict("x"), 409),
        (webhook_errors.SwishRefundRefused("x"), 409),
        (webhook_errors.NotYetBookable("x"), 409),
        (webhook_errors.BankFileInvalid([ParseError("a.xml", 1, None, "x")]), 422),
        (webhook_errors.BankFileConflict("x"), 409),
        (report_errors.SieExportRefused("x"), 422),
    ],
)
def test_each_domain_error_answers_with_the_status_it_always_had(error, status):
    assert status_of(error) == status


def test_a_renamed_error_keeps_the_code_the_api_published():
    assert code_of(webhook_errors.BankFileConflict("x")) == "DuplicateImport"
    assert code_of(ledger_errors.DimensionConflict("x")) == "DuplicateDimension"
    assert code_of(ledger_errors.UnbalancedEntry("x")) == "UnbalancedEntry"


def test_domain_errors_carry_no_http_status():
    assert not hasattr(ledger_errors.PeriodClosed("x"), "status")
