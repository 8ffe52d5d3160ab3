"""Figures built from the synthetic study: check what they contain, and the provenance in the PNG files."""

import matplotlib

matplotlib.use("Agg")

import pytest
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.text import Text
from PIL import Image

from analysis.plots import make_figure, save_figure
from analysis.results import find_batches, put_first
from analysis_fixtures import study_dir, write_batch
from sim.errors import PkosimError


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    return put_first(find_batches(study_dir(tmp_path_factory)), "baseline")


def _texts(fig):
    return [t for t in fig.findobj(Text) if t.get_text().strip()]


def _check_briefing_basics(fig):
    assert fig._suptitle is not None and fig._suptitle.get_text()
    assert any(t.get_text().startswith("Source: pkosim 0.1.0") or "\nSource: pkosim 0.1.0" in t.get_text()
               for t in _texts(fig))
    assert min(t.get_fontsize() for t in _texts(fig)) >= 9
    w, h = fig.get_size_inches()
    assert 8 <= w <= 8.5 and 5.5 <= h <= 6.0


def test_timeseries_has_median_lines_and_bands(batches):
    fig = make_figure(batches[:2], "timeseries", "hostile_deaths")
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 4  # 50% and 90% band each
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["baseline", "barkhane_stays", "median of runs", "50% of runs", "90% of runs"]
    _check_briefing_basics(fig)


def test_a_window_of_two_and_a_half_years_is_plotted_by_quarter(batches):
    fig = make_figure(batches[:1], "timeseries", "hostile_deaths")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Hostile deaths (persons per quarter)"
    assert len(ax.get_lines()[0].get_xdata()) == 10  # 2021-01-01..2023-06-30


def test_a_six_month_window_is_plotted_by_month(tmp_path):
    short = find_batches(write_batch(tmp_path, "withdrawal", runs=4, start="2023-07-01", end="2023-12-31"))
    fig = make_figure(short, "timeseries", "hostile_deaths")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Hostile deaths (persons per month)"
    assert len(ax.get_lines()[0].get_xdata()) == 6


def test_a_six_week_window_is_plotted_by_week(tmp_path):
    short = find_batches(write_batch(tmp_path, "weeks", runs=3, start="2023-07-03", end="2023-08-13"))
    fig = make_figure(short, "timeseries", "hostile_deaths")
    assert fig.axes[0].get_ylabel() == "Hostile deaths (persons per week)"
    assert len(fig.axes[0].get_lines()[0].get_xdata()) == 6


def test_a_long_window_is_plotted_by_year(tmp_path):
    long = find_batches(write_batch(tmp_path, "history", runs=3, start="2014-01-01", end="2020-12-31"))
    fig = make_figure(long, "timeseries", "hostile_deaths")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Hostile deaths (persons per year)" and ax.get_xlabel() == "Year"
    assert list(ax.get_lines()[0].get_xdata()) == list(range(2014, 2021))


def test_daily_timeseries(batches):
    fig = make_figure(batches[:1], "timeseries", "coverage", daily=True)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Date" and "share 0-1" in ax.get_ylabel()
    assert len(ax.get_lines()[0].get_xdata()) == 911  # every day of 2021-01-01..2023-06-30


def test_png_carries_provenance(batches, tmp_path):
    fig = make_figure(batches, "convergence", "hostile_deaths")
    path = save_figure(fig, tmp_path / "conv.png", batches)
    info = Image.open(path).text
    assert info["pkosim_version"] == "0.1.0"
    assert "baseline=sha256:" in info["scenario_hashes"]
    assert info["git_commit"].startswith("0123456789abcdef")
    assert "precision of the mean" in info["Title"]
    assert [p.name for p in tmp_path.iterdir()] == ["conv.png"]  # no temporary file left


def test_convergence_lines(batches):
    fig = make_figure(batches, "convergence", "hostile_deaths")
    ax = fig.axes[0]
    curves = [l for l in ax.get_lines() if len(l.get_xdata()) > 2]
    assert len(curves) == 3 and list(curves[0].get_xdata()) == list(range(1, 21))
    assert "95% CI half-width" in ax.get_ylabel() and "persons per year" in ax.get_ylabel()


def test_forest_plot_rows_and_intervals(batches):
    fig = make_figure(batches, "compare", ["hostile_deaths", "coverage"])
    assert len(fig.axes) == 2
    ax = fig.axes[0]
    assert len(ax.containers) == 1 and len(ax.containers[0].lines[0].get_xdata()) == 2  # two scenarios vs baseline
    assert [t.get_text() for t in ax.get_yticklabels()] == ["barkhane_stays\nvs baseline", "own_drones\nvs baseline"]
    assert ax.get_xlabel() == "persons per year" and fig.axes[1].get_xlabel() == "percentage points"
    _check_briefing_basics(fig)


def test_breakdown_bars(batches):
    fig = make_figure(batches, "breakdown")
    cause, contingent, sector = fig.axes[:3]
    assert len(cause.patches) == 4 * 3  # four causes x three scenarios
    assert {t.get_text() for t in cause.get_yticklabels()} == {"IED", "ambushes", "indirect fire", "complex attacks"}
    assert {t.get_text() for t in sector.get_yticklabels()} == {"North", "East", "Centre"}
    assert len(contingent.patches) == 5 * 3
    _check_briefing_basics(fig)


def test_breakdown_bars_run_top_down_in_the_legend_order(batches):
    fig = make_figure(batches, "breakdown")
    fig.canvas.draw()
    cause = fig.axes[0]
    per_scenario = [cause.patches[i * 4:(i + 1) * 4] for i in range(3)]  # barh: one call per scenario
    for category in range(4):
        heights = [bars[category].get_y() for bars in per_scenario]
        assert heights == sorted(heights, reverse=True), "the first scenario's bar is not on top"
    renderer = fig.canvas.get_renderer()
    texts = fig.legends[0].get_texts()
    reading = sorted(texts, key=lambda t: (-round(t.get_window_extent(renderer).y0), t.get_window_extent(renderer).x0))
    assert [t.get_text() for t in reading] == [b.name for b in batches]


def test_forest_says_identical_instead_of_a_rounding_noise_axis(batches):
    fig = make_figure([batches[0], batches[0]], "compare", ["hostile_deaths"])  # a scenario against itself
    ax = fig.axes[0]
    assert "no effect:\nidentical in\nevery run" in [t.get_text() for t in ax.texts]
    assert not ax.get_xticks().size


@pytest.mark.parametrize("kind", ["timeseries", "breakdown", "compare", "convergence", "map", "sequence"])
def test_legends_never_cover_the_data_and_stay_on_the_page(batches, kind):
    fig = make_figure(batches, kind, None)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + list(fig.legends)
    assert legends
    for legend in legends:
        box = legend.get_window_extent(renderer)
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1, "legend cut"
        for ax in fig.axes:
            assert not box.overlaps(ax.get_window_extent(renderer)), f"legend over the data of {ax.get_title()!r}"


def test_sequence_shades_only_restrictions_inside_the_window(tmp_path):
    from analysis.plots.sequence import restrictions

    events = {"grounded_2022": {"action": "flights_grounded", "date": "2022-01-17", "until": "2022-01-20"},
              "trucks_held": {"action": "ground_movement_restricted", "date": "2023-09-24", "until": "2023-10-31",
                              "hubs": ["Gao"]}}
    batch = find_batches(write_batch(tmp_path, "withdrawal", runs=2, start="2023-07-01", end="2023-12-31",
                                     params={"events": events}))[0]
    assert [label for _since, _until, label in restrictions(batch)] == ["trucks held at Gao"]


def test_sequence_shows_each_closure_schedule_and_its_order(batches):
    from analysis.plots.sequence import closures

    plan = closures(batches[0])
    assert [c["camp"] for c in plan] == ["Aguelhok"]
    assert plan[0]["destination"] in ("Gao", "Tessalit", "Kidal") or plan[0]["destination"] is None
    fig = make_figure(batches, "sequence")
    timeline = fig.axes[-2]  # the last axes is the colour bar
    assert [t.get_text() for t in timeline.get_yticklabels()] == ["Aguelhok"]


def test_map_contents(batches):
    fig = make_figure(batches[:1], "map")
    ax = fig.axes[0]
    assert ax.patches, "border polygon"
    roads = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(roads) == 1 and len(roads[0].get_segments()) == 19  # every leg of the theatre's road network
    assert roads[0].get_array().max() > 0  # IED density from the incidents
    labels = [t.get_text() for t in ax.texts]
    assert {"Gao", "Kidal", "Bamako", "Niamey"} <= set(labels)
    assert len(labels) == len(set(labels))  # a French base at a camp shares the camp's label
    assert "Lere" not in labels  # closed before the window
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) > 20
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Camp closed by end" in legend and "IED detonation" in legend
    assert ax.get_xlabel() == "Longitude (degrees east)" and ax.get_ylabel() == "Latitude (degrees north)"
    assert "per 100 km" in fig.axes[-1].get_xlabel()  # the colour bar, with units
    assert ax.get_title().count("\n") == 1  # scenario name; window
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    assert x0 < -12 and x1 > 4 and y0 < 10.2 and y1 > 24.9 and x1 - x0 < 18 and y1 - y0 < 16.5  # Mali, small margin
    _check_briefing_basics(fig)


def _boxes(fig, artists):
    """Display boxes; of a text its letters only (an annotation's box would include its leader line)."""
    renderer = fig.canvas.get_renderer()
    return [Text.get_window_extent(a, renderer) if isinstance(a, Text) else a.get_window_extent(renderer)
            for a in artists]


def _overlapping(boxes):
    return [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if a.overlaps(b)]


@pytest.mark.parametrize("n", [1, 2, 3])
def test_map_layout_has_no_collisions(batches, n):
    fig = make_figure(batches[:n], "map")
    fig.canvas.draw()
    maps = fig.axes[:n]
    for ax in maps:
        assert ax.texts and not _overlapping(_boxes(fig, ax.texts)), "camp labels overlap"
        inside = ax.get_window_extent()
        assert all(inside.x0 <= b.x0 and b.x1 <= inside.x1 and inside.y0 <= b.y0 and b.y1 <= inside.y1
                   for b in _boxes(fig, ax.texts)), "a camp label leaves its panel"
    assert not _overlapping(_boxes(fig, [ax.title for ax in maps])), "panel titles overlap"
    assert not _overlapping(_boxes(fig, maps)), "panels overlap"
    legend = _boxes(fig, fig.legends)[0]
    assert not any(legend.overlaps(b) for b in _boxes(fig, maps + [fig.axes[-1]])), "legend on a map or colour bar"
    renderer = fig.canvas.get_renderer()
    footer = [Text.get_window_extent(t, renderer) for t in fig.texts if "Source: pkosim" in t.get_text()][0]
    assert not any(footer.overlaps(b) for b in [legend, fig.axes[-1].get_tightbbox(renderer)]), "on the footer"
    if n == 1:  # the map as tall as the page allows, the legend in the width beside it
        assert maps[0].get_window_extent().height / fig.bbox.height > 0.62
        assert legend.x0 > maps[0].get_window_extent().x1
    else:  # the legend under the maps no longer takes a third of the width
        assert sum(b.width for b in _boxes(fig, maps)) / fig.bbox.width > 0.75
        assert legend.y1 < min(b.y0 for b in _boxes(fig, maps))
    if n == 3:  # narrow maps: short codes, their key in the note
        assert "GAO" in [t.get_text() for t in maps[0].texts]
        assert any("GAO Gao" in t.get_text() for t in fig.texts)
    _check_briefing_basics(fig)


def test_map_marks_camp_closed_by_event(batches):
    from analysis.plots.map import _theatre, camp_states

    states = {c["name"]: c for c in camp_states(batches[0], _theatre(batches[0]))}
    assert states["Aguelhok"]["open"] is False  # closed by the scenario's camp_closes event
    assert states["Gao"]["open"] is True and states["Gao"]["troops"] > 0


def test_unknown_kind(batches):
    with pytest.raises(PkosimError, match="did you mean map"):
        make_figure(batches, "mapp")
