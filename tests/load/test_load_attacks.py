"""The attack corpus: loads, ids unique, categories documented, placeholders all fill."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from pydantic import ValidationError

from harness.load.attacks import PLACEHOLDERS, encode, load_corpus, placeholders

README = Path(__file__).parents[2] / "harness" / "load" / "README.md"
VALUES = {
    "tenant": "acme",
    "other_tenant": "globex",
    "other_order": "ORD-2007",
    "other_customer": "CUST-2003",
}


def test_builtin_corpus_loads_with_unique_ids() -> None:
    corpus = load_corpus()
    ids = [a.id for a in corpus.attacks]
    assert len(ids) >= 30
    assert len(ids) == len(set(ids))
    assert {a.kind for a in corpus.attacks} == {"direct", "indirect"}


def test_every_category_is_used_and_documented_here_and_in_readme() -> None:
    corpus = load_corpus()
    used = {a.category for a in corpus.attacks}
    assert used == set(corpus.categories)
    assert all(len(text) > 40 for text in corpus.categories.values())
    readme = README.read_text(encoding="utf-8")
    for category in corpus.categories:
        assert f"`{category}`" in readme, category


@pytest.mark.parametrize("attack", load_corpus().attacks, ids=lambda a: a.id)
def test_every_placeholder_fills(attack) -> None:
    assert placeholders(attack.payload) <= PLACEHOLDERS
    text = attack.render(VALUES)
    for name in PLACEHOLDERS:
        assert "{" + name + "}" not in text
    for name, value in VALUES.items():
        if name in placeholders(attack.payload):
            assert value in text
    if attack.kind == "indirect":
        assert attack.title and attack.trigger


def test_forged_json_keeps_its_literal_braces() -> None:
    text = load_corpus().get("TA-003").render(VALUES)
    assert text.startswith('{"type": "tool_use"')
    assert '"customer_id": "CUST-2003"' in text


def test_encoded_payloads_hide_the_filled_instruction() -> None:
    text = load_corpus().get("OB-001").render(VALUES)
    hidden = text.rsplit(" ", 1)[1]
    assert "ORD-2007" in base64.b64decode(hidden).decode()
    assert "ORD-2007" not in text
    assert encode("ab c", "spaced") == "a b   c"
    assert encode("abc", "reversed") == "cba"
    assert encode("Test", "leet") == "7357"


def test_a_bad_corpus_is_refused_with_the_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "categories: {a: documented}\n"
        "attacks:\n"
        "  - {id: X1, category: a, kind: direct, description: d, payload: 'hi {victim}'}\n"
        "  - {id: X1, category: b, kind: direct, description: d, payload: hi}\n"
    )
    with pytest.raises(ValidationError, match="unknown placeholders"):
        load_corpus(bad)
    bad.write_text(
        "categories: {a: documented}\n"
        "attacks:\n"
        "  - {id: X1, category: a, kind: direct, description: d, payload: hi}\n"
        "  - {id: X1, category: b, kind: direct, description: d, payload: hi}\n"
    )
    with pytest.raises(ValidationError, match="duplicate attack ids"):
        load_corpus(bad)
    bad.write_text(
        "categories: {a: documented}\n"
        "attacks:\n"
        "  - {id: X1, category: b, kind: direct, description: d, payload: hi}\n"
    )
    with pytest.raises(ValidationError, match="not documented"):
        load_corpus(bad)
