"""Everything that reads the ledger for people: trial balance now; funding gap, dashboards,
charts, PDFs and exports as they arrive. Functions return plain records; renderers format."""
