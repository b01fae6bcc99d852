import pytest

from harness.scenario import format_duration, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [
    ("250ms", 0.25), ("15s", 15.0), ("1.5s", 1.5), ("2m", 120.0), ("1h", 3600.0),
    (30, 30.0), (0.5, 0.5), ("45", 45.0), (" 3 s ", 3.0), ("0s", 0.0),
])
def test_parses_every_documented_form(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["15 seconds", "1d", "-5s", "s", "", "1.2.3s", True, None, [1],
                                 float("nan"), float("inf"), -1])
def test_rejects_with_the_accepted_forms(bad):
    with pytest.raises(ValueError, match=r"invalid duration .*ms, s, m, h"):
        parse_duration(bad)


@pytest.mark.parametrize("seconds", [0.25, 1.5, 15.0, 60.0, 90.0, 3600.0, 7200.0, 0.001])
def test_format_round_trips(seconds):
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds)
