"""bin/dbt's entry: dbt's own command line, plus, for a Spark target, the forecast functions in
the session dbt-spark's session method creates (docs/decisions/0122; DuckDB registers them
through its plugin in the profile)."""

from __future__ import annotations

import os
import sys


def targets_spark(arguments: list[str]) -> bool:
    """True when the command names the spark target (--target spark, -t spark, --target=spark)
    or DBT_TARGET does."""
    for index, argument in enumerate(arguments):
        if argument in ("--target", "-t") and index + 1 < len(arguments):
            return arguments[index + 1] == "spark"
        if argument.startswith("--target="):
            return argument.split("=", 1)[1] == "spark"
    return os.environ.get("DBT_TARGET") == "spark"


def main() -> int:
    if targets_spark(sys.argv[1:]):
        from member_analytics.forecasts.spark_udfs import install_session_hook

        install_session_hook()
    from dbt.cli.main import cli

    sys.argv[0] = "dbt"
    return cli()


if __name__ == "__main__":
    sys.exit(main())
