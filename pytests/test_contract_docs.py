"""docs/raw_data_contract.md's column tables are generated from the one place the
contract is written (macros/contract/raw_contract.sql) and must be up to date."""

from member_analytics import contract_docs


def test_contract_doc_is_generated_from_the_contract_macro():
    tables, kinds, accepts = contract_docs.contract()
    assert set(kinds.values()) <= set(accepts) == set(contract_docs.KIND_TEXT)
    for spec in tables.values():
        assert set(spec["required"] + spec["optional"]) <= set(kinds)
    assert contract_docs.current() == contract_docs.generated(), \
        "run: member-analytics contract-docs --write"
