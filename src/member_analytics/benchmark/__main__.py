"""`python -m member_analytics.benchmark spark-floors RAW AS_OF WAREHOUSE DRIVER_MEMORY OUT`:
the Spark floors in their own process (spark_floors.run_spark_floors starts it;
not a user command)."""

import sys

from member_analytics.benchmark.spark_floors import spark_floors_main

if len(sys.argv) == 7 and sys.argv[1] == "spark-floors":
    spark_floors_main(*sys.argv[2:])
else:
    raise SystemExit("usage: python -m member_analytics.benchmark spark-floors RAW AS_OF WAREHOUSE DRIVER_MEMORY OUT")
