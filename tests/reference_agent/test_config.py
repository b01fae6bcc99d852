import pytest

from reference_agent.config import (
    AgentConfig,
    build_config,
    flag_table,
    parse_overrides,
    parse_set_args,
)
from reference_agent.tenants import DEFAULT_QUOTA, TENANTS, Quota


def test_every_pattern_is_a_bool_flag_on_in_hardened_off_in_naive():
    table = flag_table()
    patterns = [
        "retries", "circuit_breaker", "timeouts", "fallback_model", "degrade", "loop_detection",
        "request_budget", "tenant_budget", "prompt_caching", "model_routing", "tenant_scoping",
        "injection_screening", "canary_filter", "region_pinning", "rate_limit",
        "tool_error_handling", "auto_rollback",
    ]
    for name in patterns:
        assert table[name].type == "bool"
        assert table[name].hardened is True, name
        assert table[name].naive is False, name
    assert "profile" not in table
    assert table["fail_rate"].naive == table["fail_rate"].hardened == 0.0
    assert all(info.help for info in table.values())


def test_profiles_differ_where_the_book_says():
    naive, hardened = build_config("naive"), build_config("hardened")
    assert naive.max_iterations > 10 * 3 and hardened.max_iterations <= 10
    assert naive.max_retries == 2  # the SDK default
    assert hardened.max_retries > naive.max_retries
    assert "opus" in naive.model and "sonnet" in hardened.model
    assert "haiku" in hardened.simple_model_name


def test_overrides_are_typed_from_strings():
    got = parse_set_args(["retries=false", "max_iterations=9", "fail_rate=0.5", "model=x"])
    assert got == {"retries": False, "max_iterations": 9, "fail_rate": 0.5, "model": "x"}
    cfg = build_config("hardened", got)
    assert isinstance(cfg, AgentConfig) and cfg.retries is False and cfg.max_iterations == 9


@pytest.mark.parametrize(
    ("mapping", "needle"),
    [
        ({"retries": "maybe"}, "true or false"),
        ({"max_retries": "many"}, "int >= 0"),
        ({"fail_rate": 1.5}, "<= 1"),
        ({"no_such_flag": 1}, "known flags"),
        ({"profile": "naive"}, "unknown agent flag"),
    ],
)
def test_bad_overrides_name_the_flag_and_allowed_values(mapping, needle):
    with pytest.raises(ValueError) as info:
        parse_overrides(mapping)
    assert next(iter(mapping)) in str(info.value)
    assert needle in str(info.value)


def test_tenant_quotas_flag_is_validated_and_canonical():
    got = parse_set_args(["tenant_quotas= globex=5/10 ,acme=50/100"])
    assert got == {"tenant_quotas": "globex=5/10,acme=50/100"}
    cfg = build_config("hardened", got)
    assert cfg.quotas()["globex"] == Quota(5.0, 10)
    assert cfg.quotas()["initech"] == DEFAULT_QUOTA
    assert build_config("hardened").quotas() == {n: DEFAULT_QUOTA for n in TENANTS}
    assert "TENANT=RATE/BURST" in flag_table()["tenant_quotas"].allowed
    with pytest.raises(ValueError) as info:
        parse_overrides({"tenant_quotas": "globex=5"})
    text = str(info.value)
    assert text.startswith("agent flag tenant_quotas: got 'globex=5'")
    assert "is not TENANT=RATE/BURST" in text and "e.g. globex=5/10" in text


def test_malformed_set_item_and_profile():
    with pytest.raises(ValueError, match="name=value"):
        parse_set_args(["retries"])
    with pytest.raises(ValueError, match=r"naive \| hardened"):
        build_config("medium")
