"""This project installed as a dbt package (issue 25, docs/decisions/0127).

integration_tests/ is a consumer's own dbt project (dbt-utils' pattern): its packages.yml
installs this repository from the folder above, its profile is its own, its raw tables are
in a schema of its own warehouse, it overrides a var and the seed tier_schemes, disables one
mart and adds a model on top of fct_member_rfm. One build of it on the tiny sample must give
the answers of the standalone build (tiny_build: the same raw data, as_of_date and key file),
mart by mart; what the overrides change is checked against an independent computation.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml

from member_analytics.publish.parity import public_marts, sql_differences

from .conftest import ROOT, build_vars

CONSUMER = ROOT / "integration_tests"
VENV = Path(os.environ.get("MEMBER_ANALYTICS_VENV", ROOT / ".venv"))
# What integration_tests/ overrides: seeds/tier_schemes.csv keeps the package's two schemes
# and adds CLUB_SCHEME; the member 360 headlines CLUB_SCHEME (var); one mart is disabled.
PACKAGE_SCHEMES = ("by_purchase_count", "by_net_spend")
CLUB_SCHEME = "by_order_count_club"
DISABLED_MART = "rpt_interaction_uplift"
HEADLINE_TIER_COLUMNS = ("tier_scheme", "tier_name", "tier_rank", "tier_since_date", "next_tier_name",
                         "gap_to_next_tier", "tier_lapses_on", "is_near_upgrade", "tiers_by_scheme")
# A scheme more brings its near upgrades: the audience tipping_point_nudge fires for a near
# upgrade in any scheme, so the club scheme adds nudges, and the daily cap and contact ranks
# then move other audiences' suppression. fct_campaign_audiences is checked for exactly that;
# the marts built from it (and the 360's audience columns) follow it and are not compared.
AUDIENCES = "fct_campaign_audiences"
NUDGE = "tipping_point_nudge"
FOLLOW_AUDIENCES = ("fct_campaign_assignments", "fct_campaign_assignment_log", "fct_campaign_outcomes",
                    "rpt_audience_summary")
AUDIENCE_COLUMNS_OF_360 = ("audiences_today", "todays_audiences", "todays_contact_audience", "is_holdout_today")
# rpt_build_metadata records the root project's name and every threshold var, the
# overridden one included: compared column by column below.
BUILD_METADATA = "rpt_build_metadata"
# dbt's default generate_schema_name: <target schema>_<custom schema>.
MARTS = "main_marts"


def _pii_key_file() -> str:
    """The key file tiny_build used (bin/dbt's default when the environment sets none)."""
    return os.environ.get("MEMBER_ANALYTICS_PII_KEY_FILE") or str(ROOT / "secrets" / "pii_key")


@dataclasses.dataclass
class Consumer:
    """integration_tests/ copied to `home/project`, with its package path made absolute."""

    home: Path

    @property
    def project(self) -> Path:
        return self.home / "project"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse" / "consumer.duckdb"

    def env(self, **overrides: str) -> dict[str, str]:
        env = {name: value for name, value in os.environ.items()
               if not name.startswith(("DBT_", "MEMBER_ANALYTICS_"))}
        # the consumer sets the key file by var (dbt_project.yml), not by the package's env var
        env.update(DBT_SEND_ANONYMOUS_USAGE_STATS="false", DBT_VERSION_CHECK="false",
                   INTEGRATION_TESTS_DUCKDB_PATH=str(self.warehouse),
                   INTEGRATION_TESTS_DUCKDB_TEMP_DIR=str(self.home / "warehouse" / "tmp"),
                   INTEGRATION_TESTS_PII_KEY_FILE=_pii_key_file(),
                   DBT_TARGET_PATH=str(self.home / "target"), DBT_LOG_PATH=str(self.home / "logs"))
        env.update(overrides)
        return env

    def dbt(self, *args: str, vars: dict | None = None, **env: str) -> subprocess.CompletedProcess:
        command = [str(VENV / "bin" / "dbt"), *args, "--project-dir", str(self.project),
                   "--profiles-dir", str(self.project)]
        if vars:
            command += ["--vars", json.dumps(vars)]
        result = subprocess.run(command, env=self.env(**env), capture_output=True, text=True, cwd=self.project)
        assert result.returncode == 0, f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
        return result

    def parse_schemas(self, name: str) -> dict[tuple[str, str], set[str]]:
        """`dbt parse` into target_<name>/: the schemas of the models and seeds per package."""
        target = self.home / f"target_{name}"
        self.dbt("parse", DBT_TARGET_PATH=str(target))
        schemas: dict[tuple[str, str], set[str]] = {}
        for node in json.loads((target / "manifest.json").read_text())["nodes"].values():
            if node["resource_type"] in ("model", "seed"):
                schemas.setdefault((node["package_name"], node["resource_type"]), set()).add(node["schema"])
        return schemas


@pytest.fixture(scope="module")
def consumer(tmp_path_factory, tiny_raw, tiny_build) -> Consumer:
    """integration_tests/ built once on the tiny sample, read from tables in its own schema."""
    raw_path, truth = tiny_raw
    consumer = Consumer(tmp_path_factory.mktemp("package_consumer"))
    shutil.copytree(CONSUMER, consumer.project,
                    ignore=shutil.ignore_patterns("target", "dbt_packages", "logs", "package-lock.yml", "*.duckdb"))
    (consumer.project / "packages.yml").write_text(yaml.safe_dump({"packages": [{"local": str(ROOT)}]}))
    consumer.warehouse.parent.mkdir(parents=True)
    # the shop's own load jobs: the raw tables in schema shop_raw of the consumer's warehouse
    with duckdb.connect(str(consumer.warehouse)) as connection:
        connection.execute("create schema shop_raw")
        for path in sorted(raw_path.glob("*.parquet")):
            connection.execute(f"create table shop_raw.{path.stem} as select * from read_parquet('{path}')")
    consumer.dbt("deps")
    consumer.dbt("build", vars=build_vars(truth))
    return consumer


def _attached(consumer: Consumer, standalone) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(f"attach '{standalone.warehouse}' as standalone (read_only)")
    connection.execute(f"attach '{consumer.warehouse}' as consumer (read_only)")
    return connection


def test_integration_tests_is_a_consumer_installing_this_repository_from_the_folder_above():
    assert yaml.safe_load((CONSUMER / "packages.yml").read_text()) == {"packages": [{"local": "../"}]}
    project = yaml.safe_load((CONSUMER / "dbt_project.yml").read_text())
    assert project["name"] != "member_analytics" and project["profile"] == "integration_tests"
    package_vars = project["vars"]["member_analytics"]
    assert package_vars["member_analytics__member_360__tier_scheme"] == CLUB_SCHEME
    assert project["seeds"]["member_analytics"]["tier_schemes"]["+enabled"] is False
    schemes = (CONSUMER / "seeds" / "tier_schemes.csv").read_text()
    assert all(scheme in schemes for scheme in (*PACKAGE_SCHEMES, CLUB_SCHEME))


@pytest.mark.dbt
def test_every_public_mart_equals_the_standalone_build(consumer, tiny_build):
    """Same raw data (from tables here, files there), same as_of_date and key file: every
    public mart equal, except what the overrides change: the disabled mart is absent, the
    tier marts are compared on the package's schemes (the club scheme is checked below),
    the member 360 without its headline tier columns, the build metadata but for the
    overridden var and the project's name."""
    standalone, _ = tiny_build
    marts = public_marts()
    assert len(marts) > 40 and DISABLED_MART in {mart.name for mart in marts}
    # what is not compared value by value is downstream of the consumer's seed
    assert {AUDIENCES, *FOLLOW_AUDIENCES, "dim_member_360"} <= _downstream_of_the_consumers_seed(consumer)
    differences = {}
    with _attached(consumer, standalone) as connection:
        tables = {(schema, table) for schema, table in connection.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = 'consumer'").fetchall()}
        for mart in marts:
            if mart.name == DISABLED_MART:
                assert (MARTS, mart.name) not in tables
                continue
            assert (MARTS, mart.name) in tables, mart.name
            if "scheme_name" in mart.columns:
                mart = dataclasses.replace(mart, rows_compared="scheme_name in ('" + "', '".join(PACKAGE_SCHEMES) + "')")
            if mart.name in FOLLOW_AUDIENCES:
                continue
            if mart.name == AUDIENCES:
                _assert_only_club_nudges_are_added(connection)
                continue
            if mart.name == "dim_member_360":
                mart = dataclasses.replace(mart, columns=tuple(
                    c for c in mart.columns if c not in HEADLINE_TIER_COLUMNS + AUDIENCE_COLUMNS_OF_360))
            if mart.name == BUILD_METADATA:
                _assert_same_build_settings(connection)
                continue
            found = sql_differences(connection, mart, f"standalone.marts.{mart.name}", f"consumer.{MARTS}.{mart.name}")
            if any(found.values()):
                differences[mart.name] = found
        # and the quarantine: every rejected row, and the reconciliation but for source_format
        # (parquet there, table here)
        for table, columns in (("fct_rejected_rows", "*"), ("rpt_row_reconciliation", "* exclude (source_format)")):
            for left, right in ((f"standalone.audit.{table}", f"consumer.main_audit.{table}"),
                                (f"consumer.main_audit.{table}", f"standalone.audit.{table}")):
                extra = connection.execute(f"select count(*) from (select {columns} from {left}"
                                           f" except all select {columns} from {right})")
                assert extra.fetchone()[0] == 0, (table, left)
        assert connection.execute("select distinct source_format from consumer.main_audit.rpt_row_reconciliation"
                                  " where is_present").fetchall() == [("table",)]
    assert not differences, differences


def _downstream_of_the_consumers_seed(consumer: Consumer) -> set[str]:
    """The models that read the consumer's tier_schemes seed, directly or not (its manifest)."""
    manifest = json.loads((consumer.home / "target" / "manifest.json").read_text())
    children = manifest["child_map"]
    found, stack = set(), ["seed.integration_tests.tier_schemes"]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return {manifest["nodes"][node]["name"] for node in found if node.startswith("model.")}


def _assert_only_club_nudges_are_added(connection) -> None:
    """Every standalone audience candidate is a candidate here too; the only new ones are
    tipping-point nudges to the club scheme's next tier."""
    keys = "shop_id, member_id, audience"
    missing = connection.execute(
        f"select count(*) from (select {keys} from standalone.marts.{AUDIENCES}"
        f" except all select {keys} from consumer.{MARTS}.{AUDIENCES})").fetchone()[0]
    added = connection.execute(
        f"select here.audience, here.occasion, count(*) from consumer.{MARTS}.{AUDIENCES} as here"
        f" anti join standalone.marts.{AUDIENCES} as there using ({keys}) group by all").fetchall()
    assert missing == 0
    assert [(audience, occasion) for audience, occasion, _ in added] == [(NUDGE, CLUB_SCHEME)], added


def _assert_same_build_settings(connection) -> None:
    """rpt_build_metadata: the same dates and thresholds, but for the var the consumer
    overrides; project_name is the root project's."""
    rows = {}
    for catalog, schema in (("standalone", "marts"), ("consumer", MARTS)):
        rows[catalog] = connection.execute(
            f"select project_name, as_of_date_source, thresholds_json, as_of_date, earliest_valid_date,"
            f" latest_valid_date from {catalog}.{schema}.{BUILD_METADATA}").fetchall()
    (standalone,), (consumer,) = rows["standalone"], rows["consumer"]
    assert (standalone[0], consumer[0]) == ("member_analytics", "integration_tests")
    assert standalone[1:2] + standalone[3:] == consumer[1:2] + consumer[3:]
    standalone_vars, consumer_vars = json.loads(standalone[2]), json.loads(consumer[2])
    overridden = "member_analytics__member_360__tier_scheme"
    assert (standalone_vars.pop(overridden), consumer_vars.pop(overridden)) == ("by_net_spend", CLUB_SCHEME)
    assert standalone_vars == consumer_vars


@pytest.mark.dbt
def test_the_root_projects_seed_and_var_reach_the_package(consumer):
    """The club scheme of the consumer's seed tiers the same members by the same counters as
    by_purchase_count, each at the highest tier whose lower bound its count reaches, and the
    member 360 headlines it (var member_360__tier_scheme set in the consumer's project)."""
    with duckdb.connect(str(consumer.warehouse), read_only=True) as connection:
        bounds = connection.execute(
            "select tier_rank, tier_name, lower_bound from main_reference.tier_schemes where scheme_name = ? "
            "order by tier_rank", [CLUB_SCHEME]).fetchall()
        assert [name for _, name, _ in bounds] == ["club", "club_plus", "club_elite"]
        rows = connection.execute(
            f"select club.tier_rank, club.tier_name, club.cumulative_count, club.is_in_programme,"
            f" counted.cumulative_count, counted.is_in_programme"
            f" from {MARTS}.fct_member_tiers_current as counted"
            f" left join {MARTS}.fct_member_tiers_current as club"
            f" on club.shop_id = counted.shop_id and club.member_id = counted.member_id and club.scheme_name = ?"
            f" where counted.scheme_name = 'by_purchase_count'", [CLUB_SCHEME]).fetchall()
        club_rows = connection.execute(
            f"select count(*) from {MARTS}.fct_member_tiers_current where scheme_name = ?", [CLUB_SCHEME]).fetchone()[0]
        assert rows and club_rows == len(rows)
        for rank, name, count, in_programme, counted_count, counted_in_programme in rows:
            assert (count, in_programme) == (counted_count, counted_in_programme)
            # out of the programme: lapsed (rank 0), as in every scheme
            reached = [(r, n) for r, n, bound in bounds if count >= bound] if in_programme else [(0, "lapsed")]
            assert (rank, name) == reached[-1], (count, in_programme, rank, name)
        assert {name for _, name, *_ in rows} == {"lapsed", "club", "club_plus", "club_elite"}
        headline = connection.execute(
            f"select count(*), count(*) filter (where m.tier_scheme = ?),"
            f" count(*) filter (where m.tier_name is not distinct from t.tier_name"
            f" and m.tier_rank is not distinct from t.tier_rank and m.is_near_upgrade is not distinct from t.is_near_upgrade)"
            f" from {MARTS}.dim_member_360 as m left join {MARTS}.fct_member_tiers_current as t"
            f" on m.shop_id = t.shop_id and m.member_id = t.member_id and t.scheme_name = ?",
            [CLUB_SCHEME, CLUB_SCHEME]).fetchone()
        assert headline[0] > 0 and headline[0] == headline[1] == headline[2], headline
        summaries = connection.execute(
            f"select count(*) filter (where tiers_by_scheme like '%{CLUB_SCHEME}: %') from {MARTS}.dim_member_360").fetchone()
        assert summaries[0] > 0


@pytest.mark.dbt
def test_the_consumers_own_model_reads_a_public_mart(consumer, tiny_build):
    standalone, _ = tiny_build
    with _attached(consumer, standalone) as connection:
        own = connection.execute(
            "select shop_id, rfm_segment, number_of_members, monetary from consumer.main_shop_reports.rpt_segment_revenue"
            " order by all").fetchall()
        expected = connection.execute(
            "select shop_id, rfm_segment, count(*), sum(monetary) from standalone.marts.fct_member_rfm"
            " group by all order by all").fetchall()
    assert own and own == expected


@pytest.mark.dbt
def test_schemas_follow_the_root_project_unless_the_package_layout_is_asked_for(consumer):
    """Default: where the root project's generate_schema_name puts them (dbt's default here,
    <target schema>_<custom>); var member_analytics__package_schema_layout: the package's own
    schemas; a root project with its own generate_schema_name: that macro's schemas."""
    with duckdb.connect(str(consumer.warehouse), read_only=True) as connection:
        built = {schema for (schema,) in connection.execute(
            "select distinct table_schema from information_schema.tables").fetchall()}
    assert {"main_marts", "main_audit", "main_staging", "main_reference", "main_shop_reports"} <= built
    assert not built & {"marts", "audit", "staging", "intermediate", "reference"}

    project_yml = consumer.project / "dbt_project.yml"
    default_text = project_yml.read_text()
    try:
        project = yaml.safe_load(default_text)
        project["vars"]["member_analytics"]["member_analytics__package_schema_layout"] = True
        project_yml.write_text(yaml.safe_dump(project, sort_keys=False))
        schemas = consumer.parse_schemas("package_layout")
        assert schemas[("member_analytics", "model")] == {
            "staging", "intermediate", "marts", "audit", "audience_rules", "semantic"}
        assert schemas[("member_analytics", "seed")] == {"reference"}
        assert schemas[("integration_tests", "model")] == {"main_shop_reports"}  # its own: dbt's default

        project_yml.write_text(default_text)
        macro = consumer.project / "macros" / "generate_schema_name.sql"
        macro.parent.mkdir(exist_ok=True)  # git keeps no empty folder: a fresh clone has none
        macro.write_text("{% macro generate_schema_name(custom_schema_name, node) -%}\n"
                         "    analytics_{{ custom_schema_name or 'default' }}\n{%- endmacro %}\n")
        schemas = consumer.parse_schemas("root_macro")
        assert schemas[("member_analytics", "model")] == {
            "analytics_staging", "analytics_intermediate", "analytics_marts", "analytics_audit",
            "analytics_audience_rules", "analytics_semantic"}
        assert schemas[("integration_tests", "model")] == {"analytics_shop_reports"}
    finally:
        project_yml.write_text(default_text)
        (consumer.project / "macros" / "generate_schema_name.sql").unlink(missing_ok=True)


@pytest.mark.dbt
def test_the_same_package_reads_raw_files_too(consumer, tiny_raw, tiny_build):
    """The consumer's project with var raw_data_path (and no raw_schema) reads the files
    tiny_build read: its staging equals the standalone build's, but for the load
    bookkeeping (load_location, load_version: from audit.rpt_raw_loads, which this
    selection does not build)."""
    raw_path, truth = tiny_raw
    standalone, _ = tiny_build
    files = dataclasses.replace(consumer, home=consumer.home / "files")
    files.warehouse.parent.mkdir(parents=True)
    shutil.copytree(consumer.project, files.project, symlinks=True,
                    ignore=shutil.ignore_patterns("target*", "logs"))
    files.dbt("run", "--select", "stg_shop__orders", "stg_shop__members",
              vars={**build_vars(truth), "raw_schema": "", "raw_data_path": str(raw_path)})
    with _attached(files, standalone) as connection:
        for model in ("stg_shop__orders", "stg_shop__members"):
            left, right = f"standalone.staging.{model}", f"consumer.main_staging.{model}"
            assert connection.execute(f"select count(*) from {right}").fetchone()[0] > 0
            columns = "* exclude (load_location, load_version)"
            for a, b in ((left, right), (right, left)):
                assert connection.execute(f"select count(*) from (select {columns} from {a}"
                                          f" except all select {columns} from {b})").fetchone()[0] == 0, (model, a)


@pytest.mark.dbt
def test_the_personal_data_key_comes_from_the_consumers_var_and_stays_out_of_its_files(consumer):
    """The consumer sets no MEMBER_ANALYTICS_* variable: the key file is its var; the key
    itself is in no compiled SQL, manifest or log of the consumer's build."""
    key = Path(_pii_key_file()).read_text().strip()
    assert len(key) >= 32
    manifest = (consumer.home / "target" / "manifest.json").read_text()
    assert _pii_key_file() in manifest  # the path (the var's value) is rendered; the key is not
    for folder in (consumer.home / "target", consumer.home / "logs"):
        for path in folder.rglob("*"):
            if path.is_file():
                assert key not in path.read_text(errors="ignore"), path
