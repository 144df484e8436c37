"""dbt-duckdb plugin: registers the forecast functions (udfs.py) on each connection dbt opens.

Named in the profile's duckdb output (``plugins: [{module: member_analytics.forecasts.duckdb_plugin}]``);
docs/decisions/0122. The functions run in the build's process, vectorised over Arrow batches.
"""

from __future__ import annotations

import atexit
import weakref

import duckdb
import numpy as np
import pyarrow as pa
from member_analytics.forecasts import udfs


def _struct(fields) -> duckdb.sqltypes.DuckDBPyType:
    return duckdb.struct_type({name: sql_type for name, sql_type in fields})


def _arrow_struct(fields) -> pa.DataType:
    types = {"DOUBLE": pa.float64(), "BOOLEAN": pa.bool_(), "VARCHAR": pa.string(), "INTEGER": pa.int32()}
    return pa.struct([(name, types[sql_type]) for name, sql_type in fields])


def _doubles(array: pa.Array) -> np.ndarray:
    return array.cast(pa.float64()).to_numpy(zero_copy_only=False)


def _lists(array: pa.Array) -> list:
    return [None if value is None else np.asarray(value, dtype=float) for value in array.to_pylist()]


def _with_arity(function, arity: int):
    """`function(*arrays)` as a function of `arity` named parameters: DuckDB reads a Python
    function's signature to check the number of arguments."""
    names = ", ".join(f"argument_{i}" for i in range(arity))
    return eval(f"lambda {names}: function({names})", {"function": function})  # noqa: S307 (names only)


def _fit_function(fit, fields, arity: int):
    arrow_type = _arrow_struct(fields)

    def function(*arrays):
        rows = [fit(*values) for values in zip(*(_lists(array) if pa.types.is_list(array.type)
                                                 else array.to_pylist() for array in arrays))]
        return pa.array(rows, type=arrow_type)
    return _with_arity(function, arity)


def _score_function(name, arity: int):
    def function(*arrays):
        values = udfs.score_columns(name, [_doubles(array) for array in arrays])
        return pa.array(values, mask=np.isnan(values), type=pa.float64())
    return _with_arity(function, arity)


def register(connection: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) every forecast function on the connection."""
    purchase_fields = udfs.PURCHASE_FIT_FIELDS + udfs.REPORT_FIELDS
    spend_fields = udfs.SPEND_FIT_FIELDS + udfs.REPORT_FIELDS
    functions = [
        ("purchase_model_fit", _fit_function(udfs.fit_purchase_model, purchase_fields, 5),
         ["VARCHAR", "DOUBLE[]", "DOUBLE[]", "DOUBLE[]", "DOUBLE[]"], _struct(purchase_fields)),
        ("spend_model_fit", _fit_function(udfs.fit_spend_model, spend_fields, 3),
         ["DOUBLE[]", "DOUBLE[]", "DOUBLE[]"], _struct(spend_fields)),
    ] + [(name, _score_function(name, arguments), ["DOUBLE"] * arguments, "DOUBLE")
         for name, (_, arguments, _) in udfs.SCORERS.items()]
    for name, function, arguments, result in functions:
        try:
            connection.remove_function(udfs.PREFIX + name)
        except duckdb.InvalidInputException:
            pass
        connection.create_function(udfs.PREFIX + name, function, arguments, result, type="arrow",
                                   null_handling="special", side_effects=False)


_CONFIGURED: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _close_configured() -> None:
    """Close the connections still open at exit (dbt closes its own; a tool that compiles the
    project, such as sqlfluff's dbt templater, may not): DuckDB's bindings otherwise report
    the functions' Python objects as leaked when the interpreter ends."""
    for connection in list(_CONFIGURED):
        try:
            connection.close()
        except duckdb.Error:
            pass


def __getattr__(name: str):
    """The Plugin class dbt-duckdb looks up, made on first use: it subclasses dbt-duckdb's
    BasePlugin, imported only then (importing this module needs no dbt)."""
    if name != "Plugin":
        raise AttributeError(name)
    from dbt.adapters.duckdb.plugins import BasePlugin

    class Plugin(BasePlugin):
        """dbt-duckdb calls configure_connection once per connection it opens."""

        def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
            register(conn)
            _CONFIGURED.add(conn)

    globals()["Plugin"] = Plugin
    return Plugin
