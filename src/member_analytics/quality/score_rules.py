"""dbt-score rules of this project (pyproject.toml [tool.dbt-score]): every model
says its grain first, has a primary-key test, and is described column by
column. `dbt-score lint` runs in the test suite (pytests/test_metadata.py)."""

from dbt_score import Model, RuleViolation, rule

KEY_TESTS = {"unique", "unique_combination_of_columns"}


@rule
def description_states_the_grain_first(model: Model) -> RuleViolation | None:
    """A model's description starts with its grain: "One row per ..."."""
    if not (model.description or "").strip().startswith("One row"):
        return RuleViolation(message="The description does not start with its grain (\"One row per ...\").")
    return None


@rule
def has_a_primary_key_test(model: Model) -> RuleViolation | None:
    """A model has a uniqueness test on its key (one column or a combination), or says
    in meta.no_primary_key why its grain has none (staging keeps every raw row)."""
    if model.meta.get("no_primary_key"):
        return None
    tests = [test.type for test in model.tests]
    tests += [test.type for column in model.columns for test in column.tests]
    if not KEY_TESTS & set(tests):
        return RuleViolation(message="No primary-key test (unique or unique_combination_of_columns).")
    return None
