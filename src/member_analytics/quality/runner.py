"""Run one suite with Great Expectations (pandas route) and write its Data Docs.

The GX context is ephemeral (in-memory stores, nothing under the project): it is
built here for each run from the suite's checks, validates the suite's frame,
and writes the GX Data Docs site to `<docs_dir>/<suite>/`. A short page of our
own, `<docs_dir>/index.html`, lists the latest result of each suite with every
failure in words; it has no external assets, so it reads the same offline
(GX's own pages load Bootstrap and jQuery from CDNs and render unstyled
without a network; docs/decisions/0070).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import os
import shutil
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from member_analytics.quality.profiles import QualityError
from member_analytics.quality.suites import VAR_PREFIX, Check

SITE_MARKER = ".member_analytics_quality"  # a suite's docs folder is ours to replace when it holds this
# GX inlines <plugins>/custom_data_docs/styles/data_docs_custom_styles.css into every page:
# offline fallbacks for the CDN styles and icons.
PLUGINS_DIRECTORY = Path(__file__).resolve().parent / "data_docs_plugins"


@dataclass(frozen=True)
class Failure:
    """One failed expectation for one shop (shop None: the expectation as a whole)."""

    suite: str
    expectation: str
    shop_id: str | None
    observed: str
    bound: str
    meaning: str = ""

    def __str__(self) -> str:
        where = f"shop {self.shop_id}" if self.shop_id is not None else "every shop"
        return (f"{self.suite}: {self.expectation} failed for {where}: observed {self.observed}, "
                f"expected {self.bound}" + (f" -- {self.meaning}" if self.meaning else ""))


@dataclass
class CheckResult:
    """The outcome of one suite: success, every failure in words, where the Data Docs are."""

    suite: str
    success: bool
    failures: list[Failure]
    docs_index: Path
    suite_docs: Path
    expectations: int
    shops: int
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        status = "passed" if self.success else f"FAILED ({len(self.failures)} failure(s))"
        lines = [f"Great Expectations suite {self.suite}: {status}; {self.expectations} expectations "
                 f"over {self.shops} shop(s). Data Docs: {self.docs_index}"]
        lines += [f"  - {failure}" for failure in self.failures]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        result = asdict(self)
        result["docs_index"] = str(self.docs_index)
        result["suite_docs"] = str(self.suite_docs)
        return result


def _import_gx():
    """great_expectations, imported quietly and without usage statistics (5-6 s)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    with warnings.catch_warnings():
        # GX imports pyspark when it is installed (the Spark extra), which warns about pandas 3.
        warnings.simplefilter("ignore")
        import great_expectations as gx
        import great_expectations.expectations as gxe
    return gx, gxe


def _bound(value: float | str | None, thresholds: dict[str, float]) -> tuple[float | None, str | None]:
    if value is None or not isinstance(value, str):
        return value, None
    name = VAR_PREFIX + value
    if name not in thresholds:
        raise QualityError(f"threshold var {name} is not in audit.rpt_quality_thresholds: rebuild the quality models")
    return thresholds[name], name


def _number(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value)}"
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _bound_text(low, low_var, high, high_var) -> str:
    parts = []
    if low is not None:
        parts.append(f">= {_number(low)}" + (f" ({low_var})" if low_var else ""))
    if high is not None:
        parts.append(f"<= {_number(high)}" + (f" ({high_var})" if high_var else ""))
    return " and ".join(parts)


def _exception_message(result) -> str | None:
    info = result.exception_info or {}
    if "raised_exception" in info:
        info = {"": info}
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message") or "error")
    return None


def run_suite(suite: str, frame: pd.DataFrame, checks: tuple[Check, ...], thresholds: dict[str, float],
              docs_dir: Path, notes: list[str] | None = None) -> CheckResult:
    """Validate `frame` (one row per shop) with `checks`, write the Data Docs, return the result."""
    gx, gxe = _import_gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    docs_dir = Path(docs_dir).resolve()
    site_dir = docs_dir / suite
    if (site_dir / SITE_MARKER).exists():
        shutil.rmtree(site_dir)  # last run's pages: the site shows this run only
    site_dir.mkdir(parents=True, exist_ok=True)
    (site_dir / SITE_MARKER).write_text("Generated by member_analytics.quality; replaced on every run.\n")

    context = gx.get_context(mode="ephemeral", project_config=DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        data_docs_sites={suite: {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "show_cta_footer": False},
        }},
        plugins_directory=str(PLUGINS_DIRECTORY),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    ))

    expectation_suite = gx.ExpectationSuite(name=suite)
    expectation_suite.add_expectation(gxe.ExpectTableRowCountToBeBetween(
        min_value=1, meta={"meaning": "at least one shop"}))
    meanings = {}
    for check in checks:
        low, low_var = _bound(check.min_value, thresholds)
        high, high_var = _bound(check.max_value, thresholds)
        bound = _bound_text(low, low_var, high, high_var)
        meanings[check.column] = (check.meaning, bound)
        expectation_suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(
            column=check.column, min_value=low, max_value=high,
            notes=f"{check.meaning}; per shop, {bound}",
            meta={"meaning": check.meaning, "threshold_vars": check.threshold_vars()},
        ))
    expectation_suite = context.suites.add(expectation_suite)

    batch_definition = (context.data_sources.add_pandas(f"{suite}_profile")
                        .add_dataframe_asset(f"{suite}_profile")
                        .add_batch_definition_whole_dataframe("this_build"))
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite, data=batch_definition, suite=expectation_suite))
    checkpoint = context.checkpoints.add(gx.Checkpoint(
        name=suite,
        validation_definitions=[validation],
        actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[suite])],
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["shop_id"]},
    ))
    run = checkpoint.run(batch_parameters={"dataframe": frame.reset_index(drop=True)})

    failures: list[Failure] = []
    evaluated = 0
    for validation_result in run.run_results.values():
        for result in validation_result.results:
            evaluated += 1
            if result.success:
                continue
            kwargs = result.expectation_config.kwargs
            column = kwargs.get("column")
            expectation = f"{result.expectation_config.type}({column or 'table'})"
            meaning, bound = meanings.get(column, ("at least one shop", ">= 1 row"))
            error = _exception_message(result)
            if error is not None:
                observed = ("no such column in the profile" if "does not exist" in error
                            else f"error: {error.splitlines()[0]}")
                failures.append(Failure(suite, expectation, None, observed, bound, meaning))
            elif column is None:
                failures.append(Failure(suite, expectation, None,
                                        f"{result.result.get('observed_value')} rows", bound, meaning))
            else:
                for item in result.result.get("unexpected_index_list") or [{}]:
                    failures.append(Failure(suite, expectation, item.get("shop_id"),
                                            _number(item.get(column)), bound, meaning))

    docs_index = _write_index(docs_dir, suite, run.success, evaluated, failures, notes or [])
    return CheckResult(suite=suite, success=bool(run.success), failures=failures, docs_index=docs_index,
                       suite_docs=site_dir / "index.html", expectations=evaluated, shops=len(frame),
                       notes=list(notes or []))


def _write_index(docs_dir: Path, suite: str, success: bool, evaluated: int, failures: list[Failure],
                 notes: list[str]) -> Path:
    """Record this suite's outcome next to its site and rewrite the overview page
    from every suite's latest record."""
    record = {
        "suite": suite,
        "success": bool(success),
        "expectations": evaluated,
        "validated_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "failures": [asdict(failure) for failure in failures],
        "notes": notes,
    }
    (docs_dir / suite / "result.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    records = []
    for path in sorted(docs_dir.glob(f"*/{SITE_MARKER}")):
        result_file = path.parent / "result.json"
        if result_file.exists():
            records.append(json.loads(result_file.read_text(encoding="utf-8")))
    sections = []
    for item in records:
        status = "passed" if item["success"] else "failed"
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(value))}</td>" for value in (
                failure["shop_id"] or "every shop", failure["expectation"], failure["observed"], failure["bound"],
                failure["meaning"])) + "</tr>"
            for failure in item["failures"])
        table = ("<table><tr><th>shop</th><th>expectation</th><th>observed</th><th>expected</th><th>meaning</th></tr>"
                 f"{rows}</table>") if rows else "<p>Every expectation met.</p>"
        note_list = "".join(f"<li>{html.escape(note)}</li>" for note in item["notes"])
        sections.append(
            f'<section><h2>{html.escape(item["suite"])} <span class="{status}">{status}</span></h2>'
            f'<p>{item["expectations"]} expectations, validated {html.escape(item["validated_at"])}. '
            f'<a href="{html.escape(item["suite"])}/index.html">Great Expectations Data Docs</a> '
            f'(styled only when the browser can reach the CDNs).</p>{table}'
            + (f"<ul>{note_list}</ul>" if note_list else "") + "</section>")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>member_analytics data quality</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 70rem; }}
table {{ border-collapse: collapse; margin: .5rem 0 1rem; width: 100%; }}
th, td {{ border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; vertical-align: top;
          overflow-wrap: anywhere; }}
th {{ background: #f3f3f3; }}
.passed {{ color: #fff; background: #2e7d32; padding: 0 .4rem; border-radius: 3px; font-size: .8em; }}
.failed {{ color: #fff; background: #c62828; padding: 0 .4rem; border-radius: 3px; font-size: .8em; }}
</style></head><body>
<h1>Data quality: the latest run of each Great Expectations suite</h1>
<p>Checks and thresholds: docs/decisions/0070-data-quality-suites.md; profile tables: audit.rpt_quality_*.</p>
{''.join(sections)}
</body></html>
"""
    index = docs_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
