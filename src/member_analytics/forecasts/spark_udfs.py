"""The forecast functions (udfs.py) as Spark pandas UDFs, registered in the session dbt-spark uses.

dbt-spark's ``session`` method runs every statement through ``SparkSession.builder...getOrCreate()``
in the dbt process; ``install_session_hook`` (called by bin/dbt's entry, member_analytics.dbt_cli,
for a Spark target) registers the functions on the session that call creates, once. The UDFs
run vectorised on the executors' Arrow batches, so no member list is collected to the driver; a
fit receives one shop's compact rows as arrays (collect_list). docs/decisions/0122.
"""

from __future__ import annotations

import os
import sys
import warnings

import pandas as pd

from member_analytics.forecasts import udfs

_SQL_TYPES = {"DOUBLE": "double", "BOOLEAN": "boolean", "VARCHAR": "string", "INTEGER": "int"}


def _struct_ddl(fields) -> str:
    return ", ".join(f"{name} {_SQL_TYPES[sql_type]}" for name, sql_type in fields)


def _with_arity(function, arity: int, returns: str):
    """`function(*series)` as a function of `arity` pd.Series parameters returning `returns`
    (pandas_udf reads the type hints to choose a scalar UDF)."""
    names = ", ".join(f"argument_{i}: pd.Series" for i in range(arity))
    call = ", ".join(f"argument_{i}" for i in range(arity))
    scope = {"function": function, "pd": pd}
    exec(f"def typed({names}) -> {returns}:\n    return function({call})", scope)  # noqa: S102 (names only)
    return scope["typed"]


def _fit_udf(fit, fields, arity: int):
    columns = [name for name, _ in fields]

    def function(*series):
        rows = [fit(*values) for values in zip(*(column.tolist() for column in series))]
        return pd.DataFrame(rows, columns=columns)
    return _with_arity(function, arity, "pd.DataFrame")


def _score_udf(name: str, arity: int):
    def function(*series):
        return pd.Series(udfs.score_columns(name, [column.to_numpy(dtype=float, na_value=float("nan"))
                                                   for column in series]))
    return _with_arity(function, arity, "pd.Series")


def register(spark) -> None:
    """Register every forecast function on the session (as DuckDB's plugin does on a connection)."""
    from pyspark.sql.functions import pandas_udf

    purchase_fields = udfs.PURCHASE_FIT_FIELDS + udfs.REPORT_FIELDS
    spend_fields = udfs.SPEND_FIT_FIELDS + udfs.REPORT_FIELDS
    functions = [
        ("purchase_model_fit", pandas_udf(_fit_udf(udfs.fit_purchase_model, purchase_fields, 5),
                                          _struct_ddl(purchase_fields))),
        ("spend_model_fit", pandas_udf(_fit_udf(udfs.fit_spend_model, spend_fields, 3), _struct_ddl(spend_fields))),
    ] + [(name, pandas_udf(_score_udf(name, arguments), "double")) for name, (_, arguments, _) in udfs.SCORERS.items()]
    for name, function in functions:
        spark.udf.register(udfs.PREFIX + name, function)


def install_session_hook() -> None:
    """Make every session SparkSession.Builder.getOrCreate returns carry the functions. The
    Python workers run this interpreter (where member_analytics is installed) unless
    PYSPARK_PYTHON says otherwise."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # pyspark 4.3 warns that pandas 3 is not fully supported; the functions' results are
    # checked against DuckDB's by the Spark parity test
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    original = SparkSession.Builder.getOrCreate
    if getattr(original, "member_analytics_hook", False):
        return
    registered: set[int] = set()

    def get_or_create(builder):
        session = original(builder)
        if id(session) not in registered:
            register(session)
            registered.add(id(session))
        return session
    get_or_create.member_analytics_hook = True
    SparkSession.Builder.getOrCreate = get_or_create
