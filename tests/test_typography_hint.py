"""typography.AMOUNT_HINT lets text skip the amounts pattern (AMOUNTS): it must be found in every text
where that pattern finds an amount."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from exporter import typography

PIECES = ["1", "23", "1,000", "3.2", "1:11", "–", "-", " ", "  ", "\u00a0", "\u2009", "\n", "\t", "US", "A", "x", "é", ".",
          ",", "$", "US$", "£", "€", "¥", "Mach", "mach", "%", "°C", "°F", "per", "cent", "(", "<b>",
          *typography.UNIT.replace("\\s", " ").split("|")]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
@example("It cost US$10 million, 10 per cent more, at 1:11 pm.")
@example("At 100–150 ft and Mach 3.2, 5 %")
def test_every_text_holding_an_amount_holds_its_hint(text):
    if re.search(typography.AMOUNTS, text):
        assert re.search(typography.AMOUNT_HINT, text)
