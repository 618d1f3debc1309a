"""Amounts and chances as the register's pages write them: money in the organisation's currency, whole units
with thousands separators (or compact, "€1.2 m", where space is short), and chances in per cent."""

import math

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF ", "JPY": "¥", "AUD": "A$", "CAD": "C$"}


def symbol_of(currency: str) -> str:
    return SYMBOLS.get(currency, f"{currency} ")


def format_money(amount: float | None, currency: str) -> str:
    if amount is None or not math.isfinite(amount):
        return "—"
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol_of(currency)}{abs(amount):,.0f}"


def format_compact(amount: float, currency: str) -> str:
    """A short amount for chart axes: €500, €10 k, €1.5 m, €2 bn."""
    value = abs(amount)
    for size, suffix in ((1e9, " bn"), (1e6, " m"), (1e3, " k")):
        if value >= size:
            number = f"{value / size:.1f}".removesuffix(".0")
            return f"{symbol_of(currency)}{number}{suffix}"
    return f"{symbol_of(currency)}{value:,.0f}"


def format_chance(probability: float | None) -> str:
    """A probability (0 to 1) in per cent: one decimal below 10 %, "< 0.1 %" for tiny non-zero chances."""
    if probability is None:
        return "—"
    percent = probability * 100
    if 0 < percent < 0.1:
        return "< 0.1 %"
    if percent < 10:
        return f"{percent:.1f} %".replace(".0 %", " %")
    return f"{percent:.0f} %"


class Money:
    """Writes amounts in one currency: `Money("EUR")(1234.5)` is "€1,235"."""

    def __init__(self, currency: str) -> None:
        self.currency = currency

    def __call__(self, amount: float | None) -> str:
        return format_money(amount, self.currency)
