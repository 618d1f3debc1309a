"""The charts (reports.charts): each is SVG that parses as XML, names itself with a title and a description, writes
every figure as text, and puts things where the figures say. Pure functions: no database."""

import datetime
import itertools
import xml.etree.ElementTree as ET

import pytest

from reports import charts
from reports.charts import (
    Bar,
    Curve,
    Marker,
    Series,
    bars_against_appetite,
    heat_map,
    loss_exceedance_chart,
    trend_chart,
)
from risks.scoring.levels import Level
from risks.scoring.matrix import NIST_SP_800_30

NASTY = 'Cards <exposed> & "fined"'


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    for element in root.iter():
        element.tag = element.tag.rpartition("}")[2]  # drop the SVG namespace so finds read plainly
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(element.itertext()) for element in root.iter("text")]


def assert_accessible(root: ET.Element, title: str) -> None:
    assert root.tag == "svg"
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby", "").split()
    assert root.find("title").get("id") == title_id  # type: ignore[union-attr]
    assert root.find("title").text == title  # type: ignore[union-attr]
    assert root.find("desc").get("id") == desc_id  # type: ignore[union-attr]
    assert root.find("desc").text  # type: ignore[union-attr]
    assert root.find(".//path") is None, "no text drawn as paths"


# Heat map ------------------------------------------------------------------------------------------------------


def heat_counts() -> dict[tuple[Level, Level], int]:
    return {
        (Level.VERY_HIGH, Level.VERY_HIGH): 7,
        (Level.LOW, Level.HIGH): 3,
        (Level.VERY_HIGH, Level.VERY_LOW): 2,
    }


def cells(root: ET.Element) -> dict[tuple[str, str], ET.Element]:
    return {
        (g.get("data-likelihood", ""), g.get("data-impact", "")): g
        for g in root.iter("g")
        if g.get("data-impact")
    }


def test_the_heat_map_has_a_title_a_description_and_twenty_five_cells() -> None:
    root = parse(heat_map(heat_counts(), matrix=NIST_SP_800_30, title="Residual risk"))

    assert_accessible(root, "Residual risk")
    assert len(cells(root)) == 25
    assert len(list(root.iter("rect"))) == 25
    assert "12 in all" in root.find("desc").text  # type: ignore[union-attr, operator]


def test_each_heat_map_cell_says_its_count_as_text() -> None:
    found = cells(parse(heat_map(heat_counts(), matrix=NIST_SP_800_30, title="Residual risk")))

    assert texts(found[("very_high", "very_high")]) == ["7"]
    assert texts(found[("low", "high")]) == ["3"]
    assert texts(found[("moderate", "moderate")]) == ["0"]
    assert found[("low", "high")].find("title").text.startswith("3 with low likelihood and high impact")  # type: ignore[union-attr]


def test_the_heat_map_puts_very_high_likelihood_at_the_top_and_very_high_impact_on_the_right() -> None:
    found = cells(parse(heat_map(heat_counts(), matrix=NIST_SP_800_30, title="Residual risk")))
    top_right = found[("very_high", "very_high")].find("rect")
    bottom_left = found[("very_low", "very_low")].find("rect")

    assert float(top_right.get("x", "")) > float(bottom_left.get("x", ""))  # type: ignore[union-attr]
    assert float(top_right.get("y", "")) < float(bottom_left.get("y", ""))  # type: ignore[union-attr]


def test_heat_map_cells_are_filled_by_the_matrix_level_not_by_a_product_of_ranks() -> None:
    found = cells(parse(heat_map({}, matrix=NIST_SP_800_30, title="Inherent risk")))

    # NIST SP 800-30: very high likelihood with very low impact is very low risk.
    assert found[("very_high", "very_low")].find("rect").get("fill") == charts.LEVEL_FILLS[0]  # type: ignore[union-attr]
    assert found[("very_high", "very_high")].find("rect").get("fill") == charts.LEVEL_FILLS[4]  # type: ignore[union-attr]


def test_heat_map_axes_name_every_level() -> None:
    words = texts(parse(heat_map({}, matrix=NIST_SP_800_30, title="Inherent risk")))

    for name in ("Very low", "Low", "Moderate", "High", "Very high", "Likelihood", "Impact"):
        assert name in words
    assert words.count("Very high") == 2  # once on each axis


def test_heat_map_cells_with_risks_link_to_them_and_empty_cells_do_not() -> None:
    svg = heat_map(
        heat_counts(),
        matrix=NIST_SP_800_30,
        title="Residual risk",
        link=lambda likelihood, impact: f"/risks/?likelihood={likelihood.value}&impact={impact.value}",
    )
    links = list(parse(svg).iter("a"))

    assert sorted(a.get("href", "") for a in links) == [
        "/risks/?likelihood=low&impact=high",
        "/risks/?likelihood=very_high&impact=very_high",
        "/risks/?likelihood=very_high&impact=very_low",
    ]
    assert all(a.get("aria-label") for a in links)


def test_a_heat_map_title_with_markup_characters_is_escaped() -> None:
    root = parse(heat_map({}, matrix=NIST_SP_800_30, title=NASTY))

    assert root.find("title").text == NASTY  # type: ignore[union-attr]


# Bars against the appetite -------------------------------------------------------------------------------------


def bar_chart(**options: object) -> ET.Element:
    bars = [Bar(NASTY, 400_000, "/risks/1/"), Bar("Outage", 100_000), Bar("Fraud", 250_000, "/risks/3/")]
    return parse(bars_against_appetite(bars, title="Top risks", appetite=200_000, **options))  # type: ignore[arg-type]


def test_there_is_one_bar_per_figure_with_its_label_and_value_as_text() -> None:
    root = bar_chart()
    bars = [g for g in root.iter("g") if "chart__bar" in g.get("class", "")]

    assert_accessible(root, "Top risks")
    assert len(bars) == 3
    assert texts(bars[0]) == [NASTY, "400,000 above appetite"]
    assert texts(bars[1]) == ["Outage", "100,000"]


def test_bars_above_the_appetite_say_so_in_words_and_in_a_second_colour() -> None:
    bars = [g for g in bar_chart().iter("g") if "chart__bar" in g.get("class", "")]

    assert [("chart__bar--above" in g.get("class", "")) for g in bars] == [True, False, True]
    assert bars[0].find("rect").get("fill") == charts.ABOVE  # type: ignore[union-attr]
    assert bars[1].find("rect").get("fill") == charts.WITHIN  # type: ignore[union-attr]


def test_bar_lengths_and_the_appetite_line_share_one_linear_scale() -> None:
    root = bar_chart(value_format=lambda value: f"€{value:,.0f}")
    widths = [float(rect.get("width", "")) for rect in root.iter("rect")]
    appetite = next(g for g in root.iter("g") if g.get("class") == "chart__appetite")
    left = float(next(root.iter("rect")).get("x", ""))
    line_x = float(appetite.find("line").get("x1", ""))  # type: ignore[union-attr]

    assert widths[0] == pytest.approx(widths[1] * 4, abs=0.2)
    assert line_x - left == pytest.approx(widths[1] * 2, abs=0.2)
    assert texts(appetite) == ["Appetite: €200,000"]


def test_bars_with_a_link_are_links() -> None:
    links = list(bar_chart().iter("a"))

    assert [a.get("href") for a in links] == ["/risks/1/", "/risks/3/"]


def test_the_bar_chart_description_counts_the_bars_above_the_appetite() -> None:
    assert bar_chart().find("desc").text.startswith("3 bars; 2 above the appetite of 200,000.")  # type: ignore[union-attr]


def test_a_long_bar_label_is_shortened_on_the_chart_but_whole_in_its_title() -> None:
    long = "A business risk whose name goes on and on past any sensible length"
    root = parse(bars_against_appetite([Bar(long, 1)], title="Top risks", appetite=2))
    bar = next(g for g in root.iter("g") if "chart__bar" in g.get("class", ""))

    assert texts(bar)[0].endswith("…")
    assert bar.find("title").text.startswith(long)  # type: ignore[union-attr]


# Loss exceedance curve -----------------------------------------------------------------------------------------

CURVE = [(1_000.0, 1.0), (10_000.0, 0.5), (100_000.0, 0.1), (1_000_000.0, 0.0)]


def test_the_loss_exceedance_chart_has_a_title_a_description_and_its_decades_as_ticks() -> None:
    chart = loss_exceedance_chart([Curve("Residual", CURVE, "residual")], "EUR", title="Loss exceedance")
    root = parse(chart.svg)

    assert_accessible(root, "Loss exceedance")
    assert {"€1 k", "€10 k", "€100 k", "€1 m", "Annual loss (log scale)"} <= set(texts(root))
    assert not chart.empty
    assert [row.amount for row in chart.rows] == ["€1,000", "€10,000", "€100,000", "€1,000,000"]


def test_loss_exceedance_amounts_sit_on_a_log_scale() -> None:
    chart = loss_exceedance_chart([Curve("Residual", CURVE, "residual")], "EUR", title="Loss exceedance")
    polyline = next(parse(chart.svg).iter("polyline"))
    points = [tuple(map(float, point.split(","))) for point in polyline.get("points", "").split()]

    # The axis runs from €1 k at x=56 to €1 m at x=608: each decade is a third of its 552 units.
    assert [x for x, _ in points] == [56.0, 240.0, 424.0, 608.0]
    # Chances run from 100 % at y=16 down to 0 % at y=256.
    assert [y for _, y in points] == [16.0, 136.0, 232.0, 256.0]


def test_the_tolerance_marker_sits_at_its_amount_and_chance() -> None:
    chart = loss_exceedance_chart(
        [Curve("Residual", CURVE, "residual")],
        "EUR",
        title="Loss exceedance",
        marker=Marker("Tolerance", 10_000, 0.5),
    )
    marker = next(g for g in parse(chart.svg).iter("g") if g.get("class") == "lec__marker")

    assert (marker.find("circle").get("cx"), marker.find("circle").get("cy")) == ("240.0", "136.0")  # type: ignore[union-attr]
    assert texts(marker) == ["Tolerance"]
    assert "Tolerance: at most a 50 % chance of losing more than €10,000" in chart.svg


def test_one_polyline_and_one_legend_entry_per_curve() -> None:
    chart = loss_exceedance_chart(
        [Curve("Inherent", CURVE, "inherent"), Curve(NASTY, CURVE[1:], "residual")], "EUR", title="LEC"
    )
    root = parse(chart.svg)

    assert len(list(root.iter("polyline"))) == 2
    assert chart.labels == ["Inherent", NASTY]
    assert NASTY in texts(root)
    assert chart.rows[0].chances == ["100 %", ""]


def test_a_loss_exceedance_chart_without_losses_says_so() -> None:
    chart = loss_exceedance_chart([Curve("Residual", [(0.0, 0.0)], "residual")], "EUR", title="LEC")
    root = parse(chart.svg)

    assert chart.empty
    assert texts(root) == ["No simulated year has any loss, so there is no curve to draw."]


# Trend lines ---------------------------------------------------------------------------------------------------

START = datetime.date(2026, 1, 1)


def trend(**options: object) -> ET.Element:
    series = [
        Series(
            "Above appetite",
            [(START + datetime.timedelta(days=d), v) for d, v in ((0, 10), (50, 20), (100, 40))],
        ),
        Series(NASTY, [(START + datetime.timedelta(days=d), v) for d, v in ((50, 5), (100, 15))]),
    ]
    return parse(trend_chart(series, title="Business risks above appetite", **options))  # type: ignore[arg-type]


def series_points(root: ET.Element) -> list[list[tuple[float, float]]]:
    return [
        [tuple(map(float, point.split(","))) for point in line.get("points", "").split()]  # type: ignore[misc]
        for line in root.iter("polyline")
    ]


def test_the_trend_chart_draws_one_line_per_series_with_a_point_per_day_given() -> None:
    root = trend()

    assert_accessible(root, "Business risks above appetite")
    assert [len(points) for points in series_points(root)] == [3, 2]


def test_trend_dates_and_values_share_linear_scales() -> None:
    first, second = series_points(trend())
    plot_left, plot_right = charts.TREND_LEFT, charts.TREND_W - charts.TREND_RIGHT
    plot_top, plot_bottom = charts.TREND_TOP, charts.TREND_H - charts.TREND_BOTTOM

    assert [x for x, _ in first] == [plot_left, (plot_left + plot_right) / 2, plot_right]
    assert second[0][0] == first[1][0]
    # The axis tops out at 50 (the next round number above 40).
    assert first[2][1] == pytest.approx(plot_bottom - 0.8 * (plot_bottom - plot_top), abs=0.1)
    assert first[0][1] == pytest.approx(plot_bottom - 0.2 * (plot_bottom - plot_top), abs=0.1)


def test_trend_lines_are_told_apart_by_dash_and_named_with_their_last_value() -> None:
    root = trend()
    words = texts(root)
    dashes = [line.get("stroke-dasharray") for line in root.iter("polyline")]

    assert "Above appetite: 40" in words
    assert f"{NASTY}: 15" in words
    assert {"2026-01-01", "2026-04-11", "0", "50"} <= set(words)
    assert len(set(dashes)) == 2


def test_the_trend_chart_can_show_the_appetite() -> None:
    appetite = next(g for g in trend(appetite=25).iter("g") if g.get("class") == "chart__appetite")

    assert texts(appetite) == ["Appetite: 25"]


def test_the_trend_description_gives_each_series_from_first_to_last() -> None:
    desc = trend().find("desc").text  # type: ignore[union-attr]

    assert desc == f"From 2026-01-01 to 2026-04-11. Above appetite: 10 to 40; {NASTY}: 5 to 15."


def test_a_trend_without_snapshots_says_so() -> None:
    root = parse(trend_chart([Series("Above appetite", [])], title="Trend"))

    assert texts(root) == ["No figures have been recorded yet, so there is no trend to draw."]


def test_labels_of_lines_ending_at_the_same_value_do_not_overlap() -> None:
    end = START + datetime.timedelta(days=10)
    series = [Series(name, [(START, 1), (end, 5)]) for name in ("Open", "Accepted", "Transferred")]
    root = parse(trend_chart(series, title="Trend"))
    labels = [g.find("text") for g in root.iter("g") if g.get("class") == "chart__series"]
    ys = sorted(float(label.get("y", "")) for label in labels if label is not None)

    assert [b - a for a, b in itertools.pairwise(ys)] == [15.0, 15.0]


def test_long_line_names_get_room_right_of_the_plot_rather_than_being_cut_off() -> None:
    name = "Residual expected loss across every team"
    series = [Series(name, [(START, 1_000_000), (START + datetime.timedelta(days=30), 2_500_000)])]
    root = parse(trend_chart(series, title="Trend"))
    label = next(g for g in root.iter("g") if g.get("class") == "chart__series").find("text")
    width = float(root.get("viewBox", "").split()[2])

    assert label is not None
    assert width - float(label.get("x", "")) >= 7 * len(f"{name}: 2,500,000")


def test_one_day_of_figures_is_a_dot_with_one_date() -> None:
    root = parse(trend_chart([Series("Above appetite", [(START, 3)])], title="Trend"))
    words = texts(root)

    assert words.count("2026-01-01") == 1
    assert len(list(root.iter("circle"))) == 1
