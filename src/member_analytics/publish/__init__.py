"""Build and publishing: write-audit-publish builds of the DuckDB warehouse (wap),
its summary (warehouse), the public marts' committed interface (contracts) and
mart-by-mart comparison of two builds (parity)."""
