"""Template filters of the register's pages: money in the organisation's currency, chances, level names."""

from django import template

from projects.models import ControlStatus
from risks.models import Category, Level
from risks.money import format_chance, format_compact, format_money

register = template.Library()

LEVEL_LABELS = dict(Level.choices)


@register.filter
def money(amount: float | None, currency: str) -> str:
    """`{{ figures.ale_mean|money:currency }}`: "€12,345"."""
    return format_money(amount, currency)


@register.filter
def money_short(amount: float | None, currency: str) -> str:
    """`{{ amount|money_short:currency }}`: "€1.2 m", for a headline figure where space is short."""
    return format_compact(amount, currency) if amount is not None else format_money(amount, currency)


@register.filter
def chance(probability: float | None) -> str:
    """`{{ figures.p_loss|chance }}`: "12 %"."""
    return format_chance(probability)


@register.filter
def level_label(level: str | None) -> str:
    return LEVEL_LABELS.get(level or "", "Not scored")


CATEGORY_LABELS = dict(Category.choices)


@register.filter
def categories(values: list[str]) -> str:
    """A risk's categories by name: "Financial, Regulatory"."""
    return ", ".join(str(CATEGORY_LABELS.get(value, value)) for value in values)


CONTROL_STATUS_LABELS = dict(ControlStatus.choices)


@register.filter
def control_status(value: str) -> str:
    return str(CONTROL_STATUS_LABELS.get(value, value))


@register.filter
def percent(fraction: float | None) -> str:
    """A ratio as a whole per cent, sign kept: a return on investment of 1.5 is "150 %"."""
    return "—" if fraction is None else f"{fraction * 100:,.0f} %"
