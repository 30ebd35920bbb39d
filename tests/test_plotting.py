"""course_utils.plotting: the one course style and its encoding of each meaning (drawn off-screen)."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")

from course_utils import plotting  # noqa: E402

@pytest.fixture
def ax():
    with plotting.styled():
        _, ax = plotting.new_figure()
        yield ax


def _contrast_on_white(colour: str) -> float:
    """WCAG 2.1 contrast ratio of ``colour`` against white."""
    from matplotlib.colors import to_rgb

    rgb = np.array(to_rgb(colour))
    linear = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return 1.05 / (float(linear @ [0.2126, 0.7152, 0.0722]) + 0.05)


# ------------------------------------------------------------------ the style


def test_importing_plotting_does_not_import_matplotlib():
    code = "import sys, course_utils.plotting; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_the_style_is_150_dpi_with_a_grid_no_top_or_right_spine_and_fonts_of_8_pt_or_more():
    style = plotting.course_style()
    assert style["figure.dpi"] >= 150 and style["savefig.dpi"] >= 150
    assert style["axes.grid"] and not style["axes.spines.top"] and not style["axes.spines.right"]
    sizes = [value for key, value in style.items()
             if key == "font.size" or key.endswith(("fontsize", "labelsize", "titlesize"))]
    assert sizes and min(sizes) >= 8


def test_the_colour_cycle_is_okabe_ito():
    cycle = [c.upper() for c in plotting.course_style()["axes.prop_cycle"].by_key()["color"]]
    assert set(cycle) <= {c.upper() for c in plotting.OKABE_ITO.values()}


def test_styled_applies_the_style_only_inside_the_block():
    before = matplotlib.rcParams["axes.spines.top"]
    with plotting.styled():
        assert matplotlib.rcParams["axes.spines.top"] is False
    assert matplotlib.rcParams["axes.spines.top"] == before


def test_the_budget_colormap_stops_before_its_pale_end():
    """Viridis' yellow end has 1.3:1 contrast on white; the course's colormap ends at 3:1 or more."""
    import matplotlib as mpl

    plotting.budget_colours([1.0, 2.0])  # registers the colormap
    cmap = mpl.colormaps[plotting.BUDGET_CMAP]
    assert min(_contrast_on_white(cmap(t)) for t in np.linspace(0, 1, 11)) >= 3.0


def test_curves_that_carry_meaning_are_never_pale():
    """Issue 23 found meaningful curves in #BBBBBB (1.9:1). Every role colour reads on white:
    3:1 or more, except Okabe & Ito's orange (2.25:1, Hoffmann's law), which its square
    markers and wider line back up."""
    for role, spec in plotting.ROLE_STYLE.items():
        if spec["color"] is None:
            continue
        minimum = 2.2 if role == "hoffmann" else 3.0
        assert _contrast_on_white(spec["color"]) >= minimum, role


# ------------------------------------------------------------------ one encoding per meaning


@pytest.mark.parametrize("role", ["data", "heldout", "official", "estimate_epoch", "estimate_course", "estimate_other",
                                  "fit", "kaplan", "hoffmann", "besiroglu", "moore", "published", "truth", "bound",
                                  "boundary", "budget"])
def test_the_role_table_covers_every_law_source_and_role_the_issue_names(role):
    assert {"color", "marker", "kind", "means"} <= set(plotting.ROLE_STYLE[role])


def test_the_three_laws_and_moore_each_have_their_own_colour_and_marker():
    laws = [plotting.ROLE_STYLE[r] for r in ("kaplan", "hoffmann", "besiroglu", "moore")]
    assert len({s["color"] for s in laws}) == 4 and len({s["marker"] for s in laws}) == 4
    assert all(s.get("line_marker") for s in laws)  # told apart in greyscale by their markers


def test_who_gave_a_number_is_told_apart_by_marker_not_colour_alone():
    sources = [plotting.ROLE_STYLE[r] for r in ("official", "estimate_epoch", "estimate_course", "estimate_other")]
    assert len({s["marker"] for s in sources}) == 4


def test_a_curve_is_solid_over_its_data_and_dashed_beyond():
    assert plotting.style("fit", "line")["linestyle"] == "-"
    assert plotting.style("fit", "extrapolated")["linestyle"] == "--"


def test_held_out_points_are_open_and_fitted_points_filled():
    assert plotting.style("heldout")["markerfacecolor"] == "white"
    assert "markerfacecolor" not in plotting.style("data")


def test_style_tags_what_it_styles_with_its_role():
    assert plotting.style("kaplan", "extrapolated")["gid"] == "role:kaplan:extrapolated"
    assert plotting.band_style("fit")["gid"] == "role:fit:band"


def test_style_rejects_an_unknown_role():
    with pytest.raises(ValueError, match="role must be one of"):
        plotting.style("chinchilla")


# ------------------------------------------------------------------ helpers


def test_plot_curve_splits_at_the_end_of_the_fitted_range(ax):
    x = np.geomspace(1, 1e4, 50)
    plotting.plot_curve(ax, x, 1 / x, "fit", fitted=(1, 100), label="law")
    solid, dashed = ax.get_lines()
    assert solid.get_linestyle() == "-" and dashed.get_linestyle() == "--"
    assert solid.get_xdata().max() <= 100 * 1.2 and dashed.get_xdata().max() == pytest.approx(1e4)
    assert solid.get_label() == "law" and dashed.get_label().startswith("_")


def test_plot_curve_draws_its_band_in_its_colour(ax):
    x = np.linspace(1, 2, 10)
    plotting.plot_curve(ax, x, x, "besiroglu", band=(x - 0.1, x + 0.1))
    band = ax.collections[0]
    assert matplotlib.colors.to_hex(band.get_facecolor()[0], keep_alpha=False) == plotting.PALETTE["besiroglu"].lower()


def test_plain_number_ticks_label_a_loss_axis_without_powers_of_ten(ax):
    plotting.loglog_axes(ax)
    ax.plot([1, 10], [0.55, 0.95])
    plotting.finish(ax.figure)
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert len(labels) >= 3 and all("10^" not in label and "times" not in label for label in labels)


def test_annotate_points_skips_unknown_coordinates(ax):
    texts = plotting.annotate_points(ax, [1.0, np.nan, 3.0], [1.0, 2.0, 3.0], ["a", "b", "c"], repel=False)
    assert [t.get_text() for t in texts] == ["a", "c"]


def test_annotate_points_moves_labels_apart():
    """Issue 23: 'Transformer (big)' was written over 'GPT-1'. Labels of close points end up apart."""
    with plotting.styled():
        fig, ax = plotting.new_figure()
        ax.plot([0, 10], [0, 10], linestyle="none")
        texts = plotting.annotate_points(ax, [5.0, 5.05, 5.1], [5.0, 5.05, 5.1],
                                         ["a long label", "another one", "a third"])
        fig.canvas.draw()
        boxes = [t.get_window_extent() for t in texts]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_annotate_points_rejects_mismatched_labels(ax):
    with pytest.raises(ValueError, match="equal lengths"):
        plotting.annotate_points(ax, [1.0, 2.0], [1.0, 2.0], ["a"])


def test_legend_outside_sits_beyond_the_axes(ax):
    ax.plot([0, 1], [0, 1], label="a line")
    box = plotting.legend(ax, "right")
    ax.figure.canvas.draw()
    assert box.get_window_extent().x0 >= ax.get_window_extent().x1


def test_the_source_line_is_written_under_the_figure_and_saved_with_it(ax):
    ax.plot([0, 1], [0, 1])
    text = plotting.add_source(ax.figure, "Villalobos et al. 2024, Fig. 1")
    assert text.get_text() == "Source: Villalobos et al. 2024, Fig. 1" and text.get_position()[1] < 0
    from PIL import Image

    with_source = Image.open(io.BytesIO(plotting.figure_png(ax.figure, "alt")))
    text.remove()
    without = Image.open(io.BytesIO(plotting.figure_png(ax.figure, "alt")))
    assert with_source.height > without.height


def test_figure_png_stores_the_text_alternative_at_150_dpi(ax):
    from PIL import Image

    ax.plot([0, 1], [0, 1])
    image = Image.open(io.BytesIO(plotting.figure_png(ax.figure, "A rising line.", dpi=72)))
    assert image.info["Description"] == "A rising line." and round(image.info["dpi"][0]) >= 150


def test_figure_png_refuses_an_empty_text_alternative(ax):
    with pytest.raises(ValueError, match="one-line summary"):
        plotting.figure_png(ax.figure, "  ")
