import pytest

from reference_agent import tenants
from reference_agent.tenants import (
    DEFAULT_QUOTA,
    TENANTS,
    Quota,
    canaries,
    customer_ids,
    find_canaries,
    order_ids,
    parse_quotas,
    quotas,
    tenant_for_key,
)


def test_seed_tenants_and_keys():
    assert {n: (t.api_key, t.region) for n, t in TENANTS.items()} == {
        "acme": ("key-acme", "us"),
        "globex": ("key-globex", "us"),
        "initech": ("key-initech", "eu"),
    }
    assert tenant_for_key("key-globex") is TENANTS["globex"]
    assert tenant_for_key("key-nobody") is None
    assert tenant_for_key(None) is None


def test_id_blocks_are_disjoint():
    assert order_ids("acme")[0] == "ORD-1000" and order_ids("acme")[-1] == "ORD-1019"
    assert customer_ids("acme") == [f"CUST-{n}" for n in range(1000, 1010)]
    assert order_ids("globex")[0] == "ORD-2000" and customer_ids("initech")[0] == "CUST-3000"
    all_ids = [i for t in TENANTS for i in (*order_ids(t), *customer_ids(t))]
    assert len(all_ids) == len(set(all_ids))


def test_canaries_are_deterministic_per_seed_and_well_formed():
    a, b, other = canaries(seed=1), canaries(seed=1), canaries(seed=2)
    assert a == b
    assert a != other
    assert canaries() == canaries(seed=0)
    for tenant, values in a.items():
        assert values and len(values) == len(set(values))
        for value in values:
            assert value.startswith(f"CANARY-{tenant}-")
            assert tenants.CANARY_RE.fullmatch(value)


def test_find_canaries_finds_every_planted_string():
    planted = canaries(seed=3)
    mine, theirs = planted["acme"][0], planted["globex"][5]
    text = f'{{"note": "{mine}"}} and then,{theirs}. CANARY-acme-xyz CANARY-acme-0123456789abcdef'
    assert find_canaries(text) == [mine, theirs]
    assert find_canaries("nothing here") == []


def test_every_tenant_carries_a_quota_that_admits_ordinary_load():
    # 4 users of a tenant at 100 ms think time send about 35 chats/s (issue 17).
    assert all(t.quota == DEFAULT_QUOTA for t in TENANTS.values())
    assert DEFAULT_QUOTA.rate_per_s >= 2 * 35 and DEFAULT_QUOTA.burst >= DEFAULT_QUOTA.rate_per_s


def test_quotas_replace_the_registrys_only_for_the_tenants_named():
    assert parse_quotas(" globex = 5/10 , acme=50.5/100 ") == {
        "globex": Quota(5.0, 10), "acme": Quota(50.5, 100)}
    assert parse_quotas("") == {}
    got = quotas("globex=5/10")
    assert got == {"acme": DEFAULT_QUOTA, "globex": Quota(5.0, 10), "initech": DEFAULT_QUOTA}
    assert str(Quota(5.0, 10)) == "5/10" and str(Quota(0.5, 1)) == "0.5/1"


@pytest.mark.parametrize(("text", "needle"), [
    ("globex=5", "is not TENANT=RATE/BURST"),
    ("globex:5/10", "is not TENANT=RATE/BURST"),
    ("nobody=1/2", "unknown tenant 'nobody'"),
    ("globex=1/2,globex=3/4", "given twice"),
    ("globex=a/10", "RATE must be a number"),
    ("globex=5/2.5", "BURST an integer"),
    ("globex=0/10", "RATE must be > 0"),
    ("globex=nan/10", "RATE must be > 0"),
    ("globex=5/0", "BURST must be >= 1"),
])
def test_a_malformed_quota_says_which_item_and_what(text, needle):
    with pytest.raises(ValueError, match=needle):
        parse_quotas(text)
