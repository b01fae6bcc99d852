from reference_agent import tenants
from reference_agent.tenants import (
    TENANTS,
    canaries,
    customer_ids,
    find_canaries,
    order_ids,
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
