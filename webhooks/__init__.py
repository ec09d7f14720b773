"""Money coming in from outside (Stripe, Swish, bank files). Every path here books through
``ledger.services.posting`` and never writes entries itself."""
