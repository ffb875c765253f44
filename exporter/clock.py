"""The build's clock: SOURCE_DATE_EPOCH when it is set, for reproducible builds, else now.

The value follows the reproducible-builds.org specification: ASCII digits, whole seconds
since 1970-01-01 UTC, as `date +%s` prints them; a malformed value is an error, never
ignored (a silently ignored pin gives outputs that differ on every build).
"""

from __future__ import annotations

import os
import re
import time

from exporter.errors import UsageError

# 9999-12-31T23:59:59Z: the EPUB's dcterms:modified and Python's datetime stop at year 9999.
LATEST = 253_402_300_799
SECONDS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also accepts '²' and '٣'


def source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH in seconds, or None when it is unset or empty."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not value:
        return None
    shown = repr(value if len(value) <= 24 else value[:20] + "…")
    if not SECONDS.fullmatch(value):
        raise UsageError("SOURCE_DATE_EPOCH", f"{shown} is not a whole number of seconds since "
                         "1970-01-01 UTC; set it as `date +%s` prints it (e.g. 1700000000) or unset it")
    digits = value.lstrip("0") or "0"
    if len(digits) > len(str(LATEST)) or int(digits) > LATEST:  # int() of 5,000 digits is an error of its own
        raise UsageError("SOURCE_DATE_EPOCH", f"{shown} is after the year 9999; give seconds since "
                         "1970-01-01 UTC, not milliseconds (e.g. 1700000000)")
    return int(digits)


def now() -> int:
    """Seconds since the epoch: SOURCE_DATE_EPOCH when set, else the system clock."""
    pinned = source_date_epoch()
    return int(time.time()) if pinned is None else pinned
