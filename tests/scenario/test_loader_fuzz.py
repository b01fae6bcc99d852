"""Random text and YAML never crash the loader: a Scenario or a ScenarioError, nothing else."""

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from harness.errors import ScenarioError
from harness.scenario import FAULT_KINDS, Scenario, parse_scenario

KEYS = ["name", "title", "duration", "seed", "chapter", "agent", "load", "faults", "slos",
        "expect", "at", "for", "kind", "target", "users", "mix", "set", "profile", "url",
        "tenants", "status", "probability", "latency_ms", "bogus", "[key]", "0"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
    st.text(max_size=12), st.sampled_from(["15s", "250ms", "2m", "1h", "x", "llm", "agent",
                                           "naive", "pass", *FAULT_KINDS]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.integers(0, 3)), inner, max_size=5),
    ),
    max_leaves=25,
)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)
fuzz = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# ruamel's round-trip parser takes tens of ms per document here: fewer structured examples.
fuzz_docs = settings(fuzz, max_examples=60)


def _outcome(text: str) -> None:
    try:
        result = parse_scenario(text, "fuzz.yaml")
    except ScenarioError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file == "fuzz.yaml" and problem.message
        return
    assert isinstance(result, Scenario)


@fuzz
@given(st.text(max_size=200))
def test_random_text(text):
    _outcome(text)


@fuzz
@given(st.text(alphabet=":-[]{}&*!|>'\"#%@`,? \n\tab01", max_size=120))
def test_random_yaml_punctuation(text):
    _outcome(text)


@fuzz_docs
@given(documents)
def test_random_yaml_documents(data):
    buffer = io.StringIO()
    YAML(typ="safe").dump(data, buffer)
    _outcome(buffer.getvalue())


@fuzz_docs
@given(st.lists(st.dictionaries(st.sampled_from(KEYS), values, max_size=6), max_size=3))
def test_random_fault_lists_on_a_valid_scenario(faults):
    buffer = io.StringIO()
    YAML(typ="safe").dump({"name": "a", "title": "t", "duration": "1m", "faults": faults}, buffer)
    _outcome(buffer.getvalue())


def test_recursive_alias_is_a_clean_error():
    try:
        parse_scenario("name: &a [*a]\n", "r.yaml")
    except ScenarioError as exc:
        assert exc.problems


TAGS = ["!!int", "!!float", "!!bool", "!!timestamp", "!!binary", "!!str", "!!null", "!!set",
        "!!omap", "!!pairs", "!!map", "!!seq", "!custom", "!!python/object:os.system", ""]


@fuzz
@given(st.sampled_from(KEYS), st.sampled_from(TAGS),
       st.text(alphabet="0x1.e-+:tabn[]{}, ", max_size=12))
def test_tagged_values(key, tag, value):
    # ruamel's constructors raise IndexError/KeyError/ValueError on some of these
    _outcome(f"title: t\nduration: 1m\n{key}: {tag} {value}\n")


def test_malformed_tagged_scalars_are_clean_errors():
    for text in ("name: !!int 0x\n", "name: !!bool maybe\n", "name: !!float abc\n"):
        try:
            parse_scenario(text, "t.yaml")
        except ScenarioError as exc:
            assert "YAML error" in str(exc)
        else:
            raise AssertionError(text)
