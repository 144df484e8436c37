"""For BI users: the dashboard (dashboard, charts) reading the public marts through
one query layer (queries), the BI bundles (bundle), and the browsable docs and
MetricFlow's governed metrics (semantic)."""
