"""The agency view across shops (docs/decisions/0126) on the tiny sample.

Off by default: dim_member_identities and rpt_shop_overlap build empty. On (a copy of
the tiny build's warehouse with the two marts built again, var
member_analytics__agency__link_members_across_shops true and a person-key secret of its
own): members with equal keyed phone hashes share one person key, which is a keyed
sha256 of the hash, never the hash; rpt_shop_overlap equals a pandas recomputation from
the raw files; the head-office bundle holds it, and a one-shop bundle holds nothing
from which another shop's membership can be read.

The tiny sample's phones are masked by the shop back-end (138****0421), so the few
phones it shares across shops (a handful per pair of shops) are coincidences of the
masking, not people: enough to exercise the linking, and an example of why a shop
group must export full numbers before turning it on (decision 0126). The overlap
threshold is 1 here so those pairs show; the unit tests cover suppression.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from member_analytics.bi import bundle as bundle_module
from member_analytics.bi.bundle import BundleError, export_bundle
from member_analytics.publish import contracts

from .conftest import NO_UNIT_TESTS, DbtProject, build_vars
from .reference import expected_fct_orders, read_raw

pytestmark = pytest.mark.dbt

EARLIEST, LATEST = "1990-01-01", "2030-12-31"  # build_vars pins the latest valid date
LINK = "member_analytics__agency__link_members_across_shops"
MIN_MEMBERS = "member_analytics__agency__overlap_min_members"
AGENCY_MARTS = ("dim_member_identities", "rpt_shop_overlap")


@dataclass
class LinkedProject(DbtProject):
    """A DbtProject whose dbt runs see a person-key secret."""

    person_key_file: Path | None = None

    def env(self) -> dict[str, str]:
        env = super().env()
        env.pop("MEMBER_ANALYTICS_PERSON_KEY_FILE", None)
        if self.person_key_file:
            env["MEMBER_ANALYTICS_PERSON_KEY_FILE"] = str(self.person_key_file)
        return env


def _copy_of(project: DbtProject, home: Path, person_key_file: Path | None) -> LinkedProject:
    copy = LinkedProject(home, project.raw_path, person_key_file)
    copy.warehouse.parent.mkdir(parents=True)
    shutil.copy(project.warehouse, copy.warehouse)
    return copy


@pytest.fixture(scope="module")
def person_secret(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("person_key") / "person_key"
    path.write_text(hashlib.sha256(b"test_agency person key").hexdigest() + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def linked(tiny_build, tmp_path_factory, person_secret) -> tuple[LinkedProject, dict]:
    """The tiny build's warehouse with the two agency marts (and their tests) and the build
    metadata (which records the vars) built again, linking on, overlap threshold 1."""
    project, truth = tiny_build
    copy = _copy_of(project, tmp_path_factory.mktemp("agency_linked"), person_secret)
    copy.dbt("build", "--select", *AGENCY_MARTS, "rpt_build_metadata", *NO_UNIT_TESTS,
             vars={**build_vars(truth), LINK: True, MIN_MEMBERS: 1})
    return copy, truth


def _rows(project: DbtProject, table: str) -> list[tuple]:
    return sorted(project.query(f"select * from marts.{table}"), key=repr)


def _overlap(project: DbtProject) -> pd.DataFrame:
    """rpt_shop_overlap as a frame of Python values (decimals stay Decimal)."""
    with duckdb.connect(str(project.warehouse), read_only=True) as connection:
        cursor = connection.execute("select * from marts.rpt_shop_overlap")
        columns = [column[0] for column in cursor.description]
        return pd.DataFrame(cursor.fetchall(), columns=columns, dtype=object)


def test_linking_is_off_by_default_and_both_marts_build_empty(tiny_build):
    project, _ = tiny_build
    for mart in AGENCY_MARTS:
        assert project.query(f"select count(*) from marts.{mart}") == [(0,)], mart
    public = contracts.committed_contracts()
    assert public["dim_member_identities"]["personal_data"] and not public["rpt_shop_overlap"]["personal_data"]
    assert public["rpt_shop_overlap"]["head_office_only"] and "shop_id" not in public["rpt_shop_overlap"]["columns"]
    assert "person_key" in public["dim_member_identities"]["personal_data_columns"]


def test_linking_on_without_a_person_key_file_is_refused(tiny_build, tmp_path):
    project, truth = tiny_build
    copy = _copy_of(project, tmp_path / "no_key", None)
    result = copy.dbt("compile", "--select", "dim_member_identities", vars={**build_vars(truth), LINK: True},
                      check=False)
    assert result.returncode != 0
    assert "MEMBER_ANALYTICS_PERSON_KEY_FILE is not set" in result.stdout + result.stderr


def test_person_keys_link_equal_phone_hashes_with_a_secret_of_their_own(linked, person_secret):
    project, _ = linked
    secret = person_secret.read_text().strip()
    members = project.frame("""
        select identities.*, members.phone_hash, members.nickname_hash
        from marts.dim_member_identities as identities
        inner join marts.dim_members as members using (shop_id, member_id)""")
    assert len(members) == project.query("select count(*) from marts.dim_members")[0][0] > 1000

    def expected_key(row) -> str:
        text = f"phone|{row.phone_hash}" if isinstance(row.phone_hash, str) else f"member|{row.shop_id}|{row.member_id}"
        return hashlib.sha256(f"{secret}|{text}".encode()).hexdigest()

    assert list(members["person_key"]) == [expected_key(row) for row in members.itertuples()]
    # one person per phone hash and one phone hash per person; members without a phone alone
    with_phone = members[members["phone_hash"].notna()]
    assert (with_phone.groupby("phone_hash")["person_key"].nunique() == 1).all()
    assert (with_phone.groupby("person_key")["phone_hash"].nunique() == 1).all()
    assert members[members["phone_hash"].isna()]["person_key"].is_unique
    assert not members[members["phone_hash"].isna()]["is_linked_across_shops"].any()
    # linked across shops: the person's distinct shops, as counted here
    shops = members.groupby("person_key")["shop_id"].nunique()
    assert list(members["number_of_linked_shops"]) == list(members["person_key"].map(shops))
    assert members["is_linked_across_shops"].sum() > 0
    # the person key is not a hash the warehouse holds, and the secret is written nowhere
    hashes = set(members["phone_hash"].dropna()) | set(members["nickname_hash"].dropna())
    assert not set(members["person_key"]) & hashes
    pii_key = Path(project.env()["MEMBER_ANALYTICS_PII_KEY_FILE"]).read_text().strip()
    assert secret != pii_key
    for folder in (project.home / "target", project.home / "logs"):
        for path in folder.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path
    assert secret.encode() not in project.warehouse.read_bytes()


def expected_overlap(project: DbtProject, raw_path: Path, truth: dict, min_members: int) -> pd.DataFrame:
    """rpt_shop_overlap from the raw files: persons are members with the same clean phone
    (of the raw members row dim_members kept, found by its keyed hash); a member without a
    phone, and a guest, is a person alone; revenue from the pandas fct_orders."""
    key = Path(project.env()["MEMBER_ANALYTICS_PII_KEY_FILE"]).read_text().strip()
    kept = {(shop, member): phone_hash for shop, member, phone_hash in project.query(
        "select shop_id, member_id, phone_hash from marts.dim_members")}
    phones = {}
    for row in read_raw(raw_path, "members").itertuples():
        shop, member, phone = (str(value).strip() if value is not None else None
                               for value in (row.shop_id, row.member_id, row.phone))
        if phone and kept.get((shop, member)) == hashlib.sha256(f"{key}|{phone}".encode()).hexdigest():
            phones[(shop, member)] = phone
    members = pd.DataFrame([{"shop_id": shop, "member_id": member,
                             "person": f"phone:{phones[(shop, member)]}" if (shop, member) in phones
                             else f"member:{shop}|{member}"} for shop, member in kept])
    assert len(phones) == sum(value is not None for value in kept.values())
    orders = expected_fct_orders(raw_path, truth["as_of_date"], EARLIEST, LATEST)
    revenue = orders[orders["is_valid_purchase"]].groupby(["shop_id", "member_id"])["net_amount"].sum()
    members["net_revenue"] = [revenue.get((shop, member), Decimal("0")) for shop, member
                              in zip(members["shop_id"], members["member_id"])]
    shop_persons = members.groupby(["shop_id", "person"])["net_revenue"].sum()
    persons_by_shop = {shop: dict(group.droplevel(0)) for shop, group in shop_persons.groupby(level=0)}
    shops = sorted(persons_by_shop)
    rows = []
    for index, shop_a in enumerate(shops):
        for shop_b in shops[index + 1:]:
            shared = set(persons_by_shop[shop_a]) & set(persons_by_shop[shop_b])
            shown = len(shared) >= min_members
            revenue_a = sum((persons_by_shop[shop_a][person] for person in shared), Decimal("0.00"))
            revenue_b = sum((persons_by_shop[shop_b][person] for person in shared), Decimal("0.00"))
            rows.append({
                "shop_id_a": shop_a, "shop_id_b": shop_b,
                "number_of_shared_persons": len(shared) if shown else None,
                "share_of_persons_a": len(shared) / len(persons_by_shop[shop_a]) if shown else None,
                "share_of_persons_b": len(shared) / len(persons_by_shop[shop_b]) if shown else None,
                "shared_net_revenue_a": revenue_a if shown else None,
                "shared_net_revenue_b": revenue_b if shown else None,
                "shared_net_revenue": revenue_a + revenue_b if shown else None,
                "is_suppressed": not shown,
            })
    return pd.DataFrame(rows)


def _assert_overlap_equals(got: pd.DataFrame, expected: pd.DataFrame):
    got = got.drop(columns=["as_of_date"]).sort_values(["shop_id_a", "shop_id_b"]).reset_index(drop=True)
    expected = expected.sort_values(["shop_id_a", "shop_id_b"]).reset_index(drop=True)
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected) == 3  # the tiny sample's three shops
    for column in expected.columns:
        for actual, wanted in zip(got[column], expected[column]):
            if wanted is None or (isinstance(wanted, float) and pd.isna(wanted)):
                assert actual is None or pd.isna(actual), (column, actual)
            elif isinstance(wanted, float):
                assert abs(actual - wanted) < 1e-12, (column, actual, wanted)
            else:
                assert actual == wanted, (column, actual, wanted)


def test_the_overlap_equals_a_pandas_recomputation_from_the_raw_files(linked, tiny_raw):
    project, truth = linked
    raw_path, _ = tiny_raw
    expected = expected_overlap(project, raw_path, truth, min_members=1)
    assert sum(value or 0 for value in expected["number_of_shared_persons"]) > 0, \
        "the sample shares no phone across shops"
    got = _overlap(project)
    _assert_overlap_equals(got, expected)
    assert set(got["as_of_date"].astype(str)) == {truth["as_of_date"]}


def test_pairs_below_the_threshold_are_suppressed(linked, tmp_path, person_secret, tiny_raw):
    """The same warehouse, threshold one above the smallest shown overlap: that pair (and
    any smaller) shows nulls only; the pandas recomputation with the same threshold agrees."""
    project, truth = linked
    raw_path, _ = tiny_raw
    smallest = project.query("select min(number_of_shared_persons) from marts.rpt_shop_overlap")[0][0]
    copy = _copy_of(project, tmp_path / "threshold", person_secret)
    copy.dbt("build", "--select", "rpt_shop_overlap", *NO_UNIT_TESTS,
             vars={**build_vars(truth), LINK: True, MIN_MEMBERS: smallest + 1})
    got = _overlap(copy)
    assert got["is_suppressed"].sum() >= 1
    _assert_overlap_equals(got, expected_overlap(copy, raw_path, truth, min_members=smallest + 1))


@pytest.fixture(scope="module")
def agency_bundles(linked, tiny_build, tmp_path_factory) -> dict:
    """Bundles of the linked warehouse (head office; one shop) and the one-shop bundle of
    the default build (linking off), for comparison."""
    project, _ = linked
    default, _ = tiny_build
    out = tmp_path_factory.mktemp("agency_bundles")
    shops = [row[0] for row in project.query("select distinct shop_id from marts.dim_members order by 1")]
    return {
        "shops": shops,
        "head_office": export_bundle(project.warehouse, out / "linked", dashboard=False),
        "one_shop": export_bundle(project.warehouse, out / "linked", [shops[0]], dashboard=False),
        "one_shop_unlinked": export_bundle(default.warehouse, out / "unlinked", [shops[0]], dashboard=False),
    }


def _bundle_tables(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path / "member_analytics.duckdb"), read_only=True) as connection:
        tables = [row[0] for row in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
        return {table: sorted(connection.execute(f'select * from marts."{table}"').fetchall(), key=repr)
                for table in tables}


def test_a_one_shop_bundle_reveals_no_other_shops_membership(linked, agency_bundles):
    """With linking on and every pair of shops sharing members, a shop's bundle has no
    overlap, no person key and no other shop's id, and every table in it is row for row
    the table of the same shop's bundle with linking off: nothing in it depends on the
    members of other shops. The one difference is the build's settings: rpt_build_metadata
    records the two agency vars (that linking is on, and the threshold), nothing more."""
    project, _ = linked
    shop, others = agency_bundles["shops"][0], agency_bundles["shops"][1:]
    assert project.query(
        f"select count(*) from marts.rpt_shop_overlap where '{shop}' in (shop_id_a, shop_id_b) "
        "and number_of_shared_persons > 0")[0][0] == len(others), "the shop must share members with every other"
    linked_tables = _bundle_tables(agency_bundles["one_shop"])
    assert not set(AGENCY_MARTS) & set(linked_tables)
    assert not (agency_bundles["one_shop"] / "parquet" / "rpt_shop_overlap.parquet").exists()
    person_keys = {row[0] for row in project.query("select person_key from marts.dim_member_identities")}
    for table, rows in linked_tables.items():
        text = "\n".join(" ".join(map(str, row)) for row in rows)
        assert not [other for other in others if other in text], f"{table} names another shop"
        assert not [key for key in person_keys if key in text], f"{table} holds a person key"
    unlinked_tables = _bundle_tables(agency_bundles["one_shop_unlinked"])
    assert set(linked_tables) == set(unlinked_tables)
    for table in set(linked_tables) - {"rpt_build_metadata"}:
        assert linked_tables[table] == unlinked_tables[table], table
    (linked_metadata,) = linked_tables["rpt_build_metadata"]
    (unlinked_metadata,) = unlinked_tables["rpt_build_metadata"]
    settings = [json.loads(value) for value in (linked_metadata[2], unlinked_metadata[2])]
    assert linked_metadata[:2] + linked_metadata[3:] == unlinked_metadata[:2] + unlinked_metadata[3:]
    assert {name for name in settings[0] if settings[0][name] != settings[1][name]} == {LINK, MIN_MEMBERS}
    contents = json.loads((agency_bundles["one_shop"] / "bundle.json").read_text())
    assert contents["shops"] == [shop] and not contents["head_office"]
    assert "head office only" in contents["left_out"]["rpt_shop_overlap"]
    assert "personal_data" in contents["left_out"]["dim_member_identities"]


def test_the_head_office_bundle_holds_the_overlap_but_no_person_key(linked, agency_bundles):
    project, _ = linked
    tables = _bundle_tables(agency_bundles["head_office"])
    assert tables["rpt_shop_overlap"] == _rows(project, "rpt_shop_overlap")
    assert any(row[2] for row in tables["rpt_shop_overlap"])
    assert "dim_member_identities" not in tables
    person_keys = {row[0] for row in project.query("select person_key from marts.dim_member_identities")}
    for table, rows in tables.items():
        text = "\n".join(" ".join(map(str, row)) for row in rows)
        assert not [key for key in person_keys if key in text], f"{table} holds a person key"


def test_a_cross_shop_mart_without_the_flag_stops_a_shop_bundle(linked, tmp_path, monkeypatch):
    """A mart naming several shops (shop_id_a, shop_id_b) whose contract lost
    head_office_only is refused for a bundle of selected shops, not copied whole."""
    project, _ = linked
    doctored = json.loads(json.dumps(contracts.committed_contracts()))
    doctored["rpt_shop_overlap"]["head_office_only"] = False
    monkeypatch.setattr(bundle_module, "committed_contracts", lambda: doctored)
    shop = project.query("select min(shop_id) from marts.dim_members")[0][0]
    with pytest.raises(BundleError, match="rpt_shop_overlap"):
        export_bundle(project.warehouse, tmp_path, [shop], dashboard=False)
    assert not any(tmp_path.iterdir())


def test_the_interface_check_reports_a_lost_head_office_flag(tmp_path):
    """head_office_only is part of the committed interface: dropping the meta from the
    YAML is a reported difference, not a silent change of who receives the mart."""
    shutil.copytree(contracts.ROOT / "models" / "marts", tmp_path / "models" / "marts")
    (tmp_path / "contracts").mkdir()
    shutil.copy(contracts.ROOT / contracts.CONTRACTS_FILE, tmp_path / contracts.CONTRACTS_FILE)
    assert contracts.differences(tmp_path) == []
    path = tmp_path / "models" / "marts" / "agency" / "_agency__models.yml"
    text = path.read_text()
    assert "      meta:\n        head_office_only: true\n" in text
    path.write_text(text.replace("      meta:\n        head_office_only: true\n", ""))
    assert contracts.differences(tmp_path) == ["rpt_shop_overlap: head_office_only True -> False"]
