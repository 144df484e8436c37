"""Trust (issue 10): personal data, the committed interface of the public marts,
metadata lint and per-shop bundles (docs/decisions/0062, 0063)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from member_analytics.bi.bundle import BundleError, export_bundle
from member_analytics.publish import contracts

from .conftest import occurring
from .reference import read_raw

pytestmark = pytest.mark.dbt

ROOT = Path(__file__).resolve().parents[2]
# DuckDB types of the contract's portable types
DUCKDB_TYPES = {"string": "VARCHAR", "int": "INTEGER", "bigint": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN",
                "date": "DATE", "timestamp": "TIMESTAMP"}


def _key() -> str:
    return Path(os.environ["MEMBER_ANALYTICS_PII_KEY_FILE"]).read_text().strip()


def _clean(value) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value).strip() or None


@pytest.fixture(scope="module")
def personal_values(tiny_raw) -> dict[str, set[str]]:
    raw_path, _ = tiny_raw
    members = read_raw(raw_path, "members")
    return {
        "phone": {value for value in map(_clean, members["phone"].dropna()) if value},
        "nickname": {value for value in map(_clean, members["nickname"].dropna()) if value and len(value) > 3},
    }


def test_phone_and_nickname_are_keyed_sha256_of_the_clean_value(tiny_build, tiny_raw):
    project, _ = tiny_build
    raw_path, _ = tiny_raw
    members = read_raw(raw_path, "members")
    hashed = {(shop, member): (phone_hash, nickname_hash) for shop, member, phone_hash, nickname_hash in project.query(
        "select shop_id, member_id, phone_hash, nickname_hash from marts.dim_members where is_registered_member")}
    key = _key()
    checked = 0
    for row in members.itertuples():
        identity = (_clean(row.shop_id), _clean(row.member_id))
        phone, nickname = _clean(row.phone), _clean(row.nickname)
        if identity not in hashed or phone is None or nickname is None:
            continue
        expected_phone = hashlib.sha256(f"{key}|{phone}".encode()).hexdigest()
        if hashed[identity][0] != expected_phone:
            continue  # a member with a conflicting second row: the kept row may be the other one
        assert hashed[identity][1] == hashlib.sha256(f"{key}|{nickname}".encode()).hexdigest()
        unkeyed = hashlib.sha256(phone.encode()).hexdigest()
        assert hashed[identity][0] != unkeyed
        checked += 1
    assert checked > 500, f"only {checked} members checked"


def test_the_key_never_appears_in_target_logs_or_the_warehouse(tiny_build):
    project, _ = tiny_build
    key = _key().encode()
    assert len(key) >= 32
    searched = 0
    for folder in (project.home / "target", project.home / "logs"):
        for path in folder.rglob("*"):
            if path.is_file():
                searched += 1
                assert key not in path.read_bytes(), f"the key is written in {path}"
    assert (project.home / "target" / "manifest.json").exists() and searched > 100
    assert key not in project.warehouse.read_bytes()


def test_clear_personal_data_is_in_no_table_of_the_warehouse(tiny_build, personal_values):
    """Not in marts, and not in staging, intermediate or audit either: phone and
    nickname are hashed in staging, and redacted from rejected rows."""
    project, _ = tiny_build
    tables = project.query(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('staging', 'intermediate', 'marts', 'audience_rules', 'audit') and table_type = 'BASE TABLE'")
    assert len(tables) > 60
    for schema, table in tables:
        text = "\n".join(" ".join(map(str, row)) for row in project.query(f'select * from {schema}."{table}"'))
        leaked = occurring([value for values in personal_values.values() for value in values], text)
        assert not leaked, f"{schema}.{table} holds personal data in clear text: {leaked[:3]}"


@pytest.mark.parametrize("seed", range(20))
def test_occurring_finds_exactly_what_in_finds(personal_values, seed):
    """conftest.occurring, which the personal-data checks use on megabytes of text, gives
    [v for v in values if v in text]: values planted at the start, the end, across a cell
    boundary, halves of values (which must not be found), other scripts, near misses."""
    import random

    chance = random.Random(seed)
    values = sorted(set().union(*personal_values.values()))
    picked = chance.sample(values, 6)
    pieces = [picked[0], " 2026-01-31 12.50 True None \n", picked[1][:-1], "|", picked[2][1:], " "]
    pieces += [chance.choice(["甜布丁", "lucky", "1", "****", "\n", " "]) for _ in range(200)]
    pieces += [picked[3], " ", picked[4][: len(picked[4]) // 2], "\n", picked[4][len(picked[4]) // 2:], picked[5]]
    text = "".join(pieces)
    expected = [value for value in values if value in text]
    assert occurring(values, text) == expected
    assert {picked[0], picked[3], picked[5]} <= set(expected)
    # the short values decide the window: add a four-letter one, and text without any value
    assert occurring(["abcd", *values], "xx abcd " + text) == ["abcd", *expected]
    assert occurring(values, "no personal data here") == []


def untagged_personal_data(connection, public: dict, personal: dict[str, set[str]]) -> list[str]:
    """Public columns not tagged personal_data that carry it: by name (phone,
    nickname, birth) or by value (a clear value, or a personal-data hash)."""
    hashes = {row[0] for row in connection.execute(
        "select phone_hash from marts.dim_members where phone_hash is not null "
        "union all select nickname_hash from marts.dim_members where nickname_hash is not null").fetchall()}
    clear = set().union(*personal.values())
    found = []
    for mart, contract in public.items():
        if contract["personal_data"]:
            continue
        for column, data_type in contract["columns"].items():
            if column in contract["personal_data_columns"]:
                continue
            if data_type == "string":
                values = {row[0] for row in connection.execute(
                    f'select distinct "{column}" from marts."{mart}" where "{column}" is not null').fetchall()}
                if values & hashes or values & clear:
                    found.append(f"{mart}.{column} (by value)")
                    continue
            # by name: values that can hold a phone, nickname or (part of) a birth date;
            # flags and aggregate shares (boolean, double) cannot
            if (any(word in column for word in ("phone", "nickname", "birth"))
                    and data_type in ("string", "int", "bigint", "date", "timestamp")):
                found.append(f"{mart}.{column} (by name)")
    return found


def test_every_public_column_carrying_personal_data_is_tagged(tiny_build, personal_values):
    project, _ = tiny_build
    public = contracts.committed_contracts()
    with duckdb.connect(str(project.warehouse), read_only=True) as connection:
        assert untagged_personal_data(connection, public, personal_values) == []
        # the check can fail: untag the hashed phone, or tag nothing at all
        untagged = json.loads(json.dumps(public))
        untagged["dim_members"]["personal_data_columns"].remove("phone_hash")
        assert untagged_personal_data(connection, untagged, personal_values) == ["dim_members.phone_hash (by value)"]
        for contract in untagged.values():
            contract["personal_data_columns"], contract["personal_data"] = [], False
        found = untagged_personal_data(connection, untagged, personal_values)
        assert {"dim_members.birth_month (by name)", "dim_members.nickname_hash (by value)"} <= set(found)


def test_the_public_marts_match_the_committed_interface(tiny_build):
    """contracts/public_marts.json is what BI users rely on: the models' YAML and
    the built tables both match it, column by column, in order and type."""
    assert contracts.differences() == [], (
        "the public marts changed: if deliberate, run `member-analytics contracts --write` and commit the file")
    project, _ = tiny_build
    public = contracts.committed_contracts()
    assert len(public) >= 45
    for mart, contract in public.items():
        built = project.query(
            "select column_name, data_type from information_schema.columns "
            f"where table_schema = 'marts' and table_name = '{mart}' order by ordinal_position")
        expected = [(column, DUCKDB_TYPES.get(data_type, data_type.upper()))
                    for column, data_type in contract["columns"].items()]
        assert built == expected, mart


def test_the_interface_check_reports_a_changed_column(tmp_path):
    shutil.copytree(ROOT / "models" / "marts", tmp_path / "models" / "marts")
    (tmp_path / "contracts").mkdir()
    shutil.copy(ROOT / contracts.CONTRACTS_FILE, tmp_path / contracts.CONTRACTS_FILE)
    assert contracts.differences(tmp_path) == []
    path = next((tmp_path / "models" / "marts" / "member_value").glob("*models.yml"))
    text = path.read_text()
    assert "      - name: frequency\n        data_type: bigint\n" in text
    path.write_text(text.replace("      - name: frequency\n        data_type: bigint\n",
                                 "      - name: frequency\n        data_type: int\n", 1))
    assert contracts.differences(tmp_path) == ["fct_member_rfm.frequency: data type bigint -> int"]


def test_dbt_score_passes_and_fails_a_model_without_grain_or_key(tiny_build, tmp_path):
    project, _ = tiny_build
    manifest = project.home / "target" / "manifest.json"
    dbt_score = [str(Path(sys.executable).parent / "dbt-score"), "lint", "--show", "failing-items"]
    result = subprocess.run([*dbt_score, "-m", str(manifest)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Project score: \x1b[1m10.0" in result.stdout or "Project score: 10.0" in result.stdout

    broken = json.loads(manifest.read_text())
    model_id = "model.member_analytics.fct_member_rfm"
    broken["nodes"][model_id]["description"] = "RFM scores."
    for node_id in [node_id for node_id, node in broken["nodes"].items()
                    if node["resource_type"] == "test" and node.get("attached_node") == model_id
                    and node.get("test_metadata", {}).get("name") in ("unique", "unique_combination_of_columns")]:
        del broken["nodes"][node_id]
    (tmp_path / "manifest.json").write_text(json.dumps(broken))
    result = subprocess.run([*dbt_score, "-m", str(tmp_path / "manifest.json")], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode != 0
    assert "fct_member_rfm" in result.stdout
    assert "description_states_the_grain_first" in result.stdout and "has_a_primary_key_test" in result.stdout


@pytest.fixture(scope="module")
def bundles(tiny_build, tmp_path_factory) -> tuple[Path, list[str]]:
    project, _ = tiny_build
    out = tmp_path_factory.mktemp("bundles")
    shops = [row[0] for row in project.query("select distinct shop_id from marts.dim_members order by 1")]
    export_bundle(project.warehouse, out)
    export_bundle(project.warehouse, out, [shops[0]])
    return out, shops


def _tables(connection) -> list[tuple[str, str]]:
    return connection.execute(
        "select table_schema, table_name from information_schema.tables where table_catalog = current_database() "
        "order by all").fetchall()


def test_a_one_shop_bundle_holds_only_that_shop_and_no_personal_data(bundles, tiny_build, personal_values):
    out, shops = bundles
    project, _ = tiny_build
    shop, others = shops[0], shops[1:]
    bundle = out / shop
    public = contracts.committed_contracts()
    with duckdb.connect(str(bundle / "member_analytics.duckdb"), read_only=True) as connection:
        tables = _tables(connection)
        assert {schema for schema, _ in tables} == {"marts"}, "only the public marts"
        assert {table for _, table in tables} == {mart for mart, c in public.items()
                                                  if not c["personal_data"] and not c.get("head_office_only")}
        hashes = {row[0] for row in project.query("select phone_hash from marts.dim_members where phone_hash is not null")}
        for _, table in tables:
            columns = [row[0] for row in connection.execute(
                f"select column_name from information_schema.columns where table_name = '{table}'").fetchall()]
            assert not set(columns) & set(public[table]["personal_data_columns"]), table
            text = "\n".join(" ".join(map(str, row)) for row in connection.execute(f'select * from marts."{table}"').fetchall())
            assert not [other for other in others if other in text], f"{table} holds a row of another shop"
            assert not occurring(set().union(*personal_values.values(), hashes), text), table
            if "shop_id" in columns:
                assert connection.execute(f'select distinct shop_id from marts."{table}"').fetchall() in ([], [(shop,)])
                expected = project.query(f"select count(*) from marts.\"{table}\" where shop_id = '{shop}'")[0][0]
                assert connection.execute(f'select count(*) from marts."{table}"').fetchone()[0] == expected, table
            parquet = connection.execute("select count(*) from read_parquet(?)",
                                         [str(bundle / "parquet" / f"{table}.parquet")]).fetchone()[0]
            assert parquet == connection.execute(f'select count(*) from marts."{table}"').fetchone()[0], table
    contents = json.loads((bundle / "bundle.json").read_text())
    assert contents["shops"] == [shop] and "fct_care_calendar" in contents["left_out"]


def test_the_head_office_bundle_holds_every_shop(bundles, tiny_build):
    out, shops = bundles
    project, _ = tiny_build
    with duckdb.connect(str(out / "all_shops" / "member_analytics.duckdb"), read_only=True) as connection:
        assert [row[0] for row in connection.execute(
            "select distinct shop_id from marts.fct_orders order by 1").fetchall()] == shops
        for table in ("fct_orders", "fct_member_rfm", "fct_product_pairs", "fct_campaign_audiences"):
            assert connection.execute(f"select count(*) from marts.{table}").fetchone() == \
                tuple(project.query(f"select count(*) from marts.{table}")[0]), table


@pytest.mark.parametrize("shop", ["x'; drop table marts.fct_orders; --", "../etc", "a b", ""])
def test_a_hostile_or_unknown_shop_is_refused(tiny_build, tmp_path, shop):
    project, _ = tiny_build
    with pytest.raises(BundleError):
        export_bundle(project.warehouse, tmp_path, [shop] if shop else ["no_such_shop"])
    assert not any(tmp_path.iterdir())
