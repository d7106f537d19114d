"""Model input names from table headers (`names.input_names`): whatever a header holds, the name is
one a SavedModel signature takes (a Python identifier that is no keyword, unique without regard to
case, none of the served model's own names) and stays readable."""

from __future__ import annotations

import keyword

from hypothesis import given
from hypothesis import strategies as st

from orchestrator.names import INPUT_NAME_MAX, RESERVED_INPUT_NAMES, input_names
from tests.test_fuzz_inputs import PROFILE

# Headers people write, and names the served model or TensorFlow's tracing already use.
AWKWARD = ["class", "def", "None", "lambda", "for", "True", "self", "encoding", "where", "Cast", "my col", "1st-place",
           "naïve score", "a.b", "x/y", "a b", "a_b", "A_B", "a", "a ", " a", "_", "", "123", "年龄", "Ünïcödé",
           "x" * 300, "input_layer_2", "string_lookup"]


def assert_servable(names: list[str]) -> None:
    for name in names:
        assert name.isidentifier() and name.isascii() and name[0].isalpha(), name
        assert not keyword.iskeyword(name) and not RESERVED_INPUT_NAMES.fullmatch(name), name
        assert len(name) <= INPUT_NAME_MAX, name
    # TensorFlow makes a signature's argument names unique without regard to case ('A' and 'a' clash)
    assert len({n.lower() for n in names}) == len(names), names


def test_keywords_get_the_prefix_that_digits_get():
    assert input_names(["class", "def", "None", "lambda", "for", "1st-place"]) == [
        "c_class", "c_def", "c_None", "c_lambda", "c_for", "c_1st_place"]


def test_names_the_served_model_or_tensorflow_uses_are_not_taken():
    # 'encoding' is the encoder inside the served model; 'self' is the traced function's own argument.
    assert input_names(["encoding", "self", "where", "Cast"]) == ["c_encoding", "c_self", "c_where", "c_Cast"]


def test_accents_are_dropped_and_runs_of_other_characters_become_one_underscore():
    assert input_names(["naïve score", "my  col", "a.b", "x/y", " padded "]) == ["naive_score", "my_col", "a_b", "x_y", "padded"]


def test_names_that_collide_once_cleaned_or_differ_only_by_case_are_numbered():
    assert input_names(["a b", "a_b", "A_B", "a", "a "]) == ["a_b", "a_b_2", "A_B_3", "a", "a_2"]


def test_a_header_with_nothing_usable_gets_a_plain_name():
    assert input_names(["年龄", "???", ""]) == ["column", "column_2", "column_3"]


def test_long_names_are_cut_and_stay_unique():
    names = input_names(["x" * 300, "x" * 301])
    assert names == ["x" * INPUT_NAME_MAX, "x" * (INPUT_NAME_MAX - 2) + "_2"]


def test_awkward_headers_all_get_servable_names():
    assert_servable(input_names(AWKWARD))


@PROFILE
@given(st.lists(st.one_of(st.sampled_from(AWKWARD), st.text(max_size=80)), min_size=1, max_size=30, unique=True))
def test_any_headers_get_servable_and_stable_names(headers):
    names = input_names(headers)
    assert len(names) == len(headers)
    assert_servable(names)
    assert input_names(headers) == names  # the same headers always give the same names
