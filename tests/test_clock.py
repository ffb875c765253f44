"""SOURCE_DATE_EPOCH: pinned time for reproducible builds, and a clear error when malformed."""

from __future__ import annotations

import time

import pytest

from exporter.clock import LATEST, now, source_date_epoch
from exporter.errors import UsageError

NOT_SECONDS = ("is not a whole number of seconds since 1970-01-01 UTC; "
               "set it as `date +%s` prints it (e.g. 1700000000) or unset it")
TOO_LATE = "is after the year 9999; give seconds since 1970-01-01 UTC, not milliseconds (e.g. 1700000000)"


@pytest.mark.parametrize(("value", "seconds"), [("0", 0), ("1700000000", 1_700_000_000), ("0001", 1),
                                                (str(LATEST), LATEST)])
def test_whole_seconds_pin_the_clock(monkeypatch, value, seconds):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    assert source_date_epoch() == now() == seconds


@pytest.mark.parametrize("value", [None, ""])
def test_unset_or_empty_is_the_system_clock(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    before = int(time.time())
    assert source_date_epoch() is None
    assert before <= now() <= int(time.time())


@pytest.mark.parametrize(("value", "message"), [
    ("²", NOT_SECONDS),  # str.isdigit() says yes, int() says no
    ("١٧٠٠٠٠٠٠٠٠", NOT_SECONDS),  # Arabic-Indic digits: int() reads them, the specification does not
    ("1e9", NOT_SECONDS),
    ("1700000000.5", NOT_SECONDS),
    ("-1", NOT_SECONDS),
    (" 1700000000", NOT_SECONDS),
    ("1700000000\n", NOT_SECONDS),
    ("0x10", NOT_SECONDS),
    ("1700000000000", TOO_LATE),  # milliseconds
    (str(LATEST + 1), TOO_LATE),
])
def test_a_malformed_value_is_a_usage_error(monkeypatch, value, message):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    for read in (source_date_epoch, now):
        with pytest.raises(UsageError) as caught:
            read()
        assert str(caught.value) == f"SOURCE_DATE_EPOCH: {value!r} {message}"


def test_a_long_value_is_shown_cut(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "9" * 5000)  # more digits than int() converts
    with pytest.raises(UsageError) as caught:
        source_date_epoch()
    assert str(caught.value) == f"SOURCE_DATE_EPOCH: '{'9' * 20}…' {TOO_LATE}"
