"""Autogiro's register: mandates and their history (``mandates``), the files to and from
Bankgirot and each month's debit orders (``orders``). Bankgirot's file formats are not here:
``webhooks.bankfiles.autogiro`` reads and writes them."""
