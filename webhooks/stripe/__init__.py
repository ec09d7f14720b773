"""Stripe: the one wrapped client (``client``), Checkout for the donor pages, and the webhook
endpoint with its inbox and handlers."""
