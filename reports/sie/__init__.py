"""SIE 4, the Swedish bookkeeping programs' exchange format: records, parser, export, import."""
