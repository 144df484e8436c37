"""The benchmarks (docs/benchmark.md): `member-analytics benchmark` (DuckDB, or
Spark with --target spark) and `member-analytics benchmark-daily`.

    runner.py        the DuckDB benchmark: per scale generate, build, floors, peers; run()
    spark.py         the same on the profile's spark output; run_spark()
    daily.py         the daily incremental run against a full build (benchmark-daily)
    common.py        scales, folders, the build's vars, the manifest, the machine
    wap_build.py     the write-audit-publish build (member-analytics build --full-refresh) and its stages
    memory.py        the two memory samplers (DuckDB's spill; a process tree on Spark)
    floors.py        the hand-written floor queries (DuckDB) and their agreement with the marts
    spark_floors.py  the same floors on Spark, in their own process
    peers.py         the peers (pandas, mlxtend), each run capped in its own process
    peer_checks.py   the peers' answers against the marts
    summary.py       one build's figures: multiples of the floors, targets, growth
    events.py        Spark's event log per model; dbt's results from its console log
    cluster.py       the cluster estimate for 100x the large scale
    report.py        benchmark.md for a DuckDB run and for a Spark run
"""
