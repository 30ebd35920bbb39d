"""Interactive explorers for the lessons: move a slider, watch a scaling law respond.

This module is the user interface only. The science each explorer shows lives beside
the rest of the science and is tested there:

* the compute-budget explorer (lesson 04) draws :func:`course_utils.chinchilla.budget_summary`;
* the fit explorer (lesson 02) draws :func:`course_utils.powerlaw.fit_experiment`;
* the data-limits explorer (lesson 05) draws :func:`course_utils.data_limits.data_limits_summary`.

For each there is a readout (HTML text), a figure and a one-line text alternative that
says what the figure shows. The figure is a PNG drawn with matplotlib's object-oriented
API (no pyplot, so the learner's own figures are untouched) and shown in an
``ipywidgets.Image`` whose bytes are replaced in place: no flicker, and no interactive
matplotlib backend needed. The text alternative is the PNG's Description metadata and a
caption under the plot. The figures are drawn in the course style with its one encoding
per meaning (:mod:`course_utils.plotting`): data, fits, Kaplan's, Hoffmann's and
Besiroglu's laws and published numbers look as they do in the lessons, and a credit line
names the sources.

A value typed into a text box that makes no sense (a negative budget, zero epochs) is
reported in the explorer's message line; the plot keeps its last good state. Every
explorer is built fresh by its function, so re-running a notebook makes a new, working
explorer. In the browser the parts carry stable CSS classes (``cu-readout``, ``cu-plot``,
``cu-alt``, ``cu-message`` and one per control) so that tests can find them.
"""

from __future__ import annotations

import html
import math
from typing import Callable, Mapping

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from course_utils import literature as lit
from course_utils.chinchilla import (
    BESIROGLU_2024, HOFFMANN_2022, HOFFMANN_2022_UNROUNDED, BudgetSummary, ChinchillaLaw, budget_summary,
    kaplan_allocation, kaplan_joint_exponent,
)
from course_utils.data_limits import DataLimitsSummary, data_limits_summary
from course_utils.figures.chinchilla import kaplan_fitted_flops
from course_utils.plotting import (add_source, band_style, figure_png, finish, legend, new_figure, plot_curve,
                                   plot_level, plot_points, style, styled)
from course_utils.powerlaw import FIT_MODELS, FitExperiment, fit_experiment

__all__ = [
    "LAWS", "budget_readout", "budget_figure", "budget_alt", "fit_readout", "fit_figure", "fit_alt",
    "data_limits_readout", "data_limits_figure", "data_limits_alt", "parse_number", "Explorer",
    "compute_budget_explorer", "fit_explorer", "data_limits_explorer",
]

#: The parametric laws the compute-budget explorer offers, by display name.
LAWS: dict[str, ChinchillaLaw] = {law.name: law for law in (BESIROGLU_2024, HOFFMANN_2022, HOFFMANN_2022_UNROUNDED)}

# Slider ranges (log10). Budgets span a small lab run (1e16 FLOP) to beyond today's
# frontier (1e28); the fit explorer's model sizes span 1M to 100B parameters.
_BUDGET_EXPONENTS = (16.0, 28.0)
_FIT_EXPONENTS = (6.0, 11.0)
_STOCK_EXPONENTS = (12.0, 16.0)
_EPOCHS_EXPONENTS = (0.0, 3.0)


def parse_number(text: str, name: str, low: float, high: float) -> float:
    """Read a number typed into a text box, or raise ValueError with a message for the learner.

    Accepts ``1e21``, ``3.5E+23``, ``15,000,000`` or ``1_000``; the value must lie in
    [``low``, ``high``]. The message names the quantity, what was typed and the range.
    """
    cleaned = str(text).strip().replace(",", "").replace("_", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"{name} must be a number such as {low:g}; got {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {text!r}")
    if value <= 0 and low > 0:
        raise ValueError(f"{name} must be positive; got {text!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}; got {text!r}")
    return value


def _law(law: str | ChinchillaLaw) -> ChinchillaLaw:
    if isinstance(law, ChinchillaLaw):
        return law
    if law in LAWS:
        return LAWS[law]
    raise ValueError(f"law must be a ChinchillaLaw or one of {sorted(LAWS)}; got {law!r}")


# ====================================================================== compute budget


def budget_readout(summary: BudgetSummary) -> str:
    """The compute-budget explorer's readout as HTML: N_opt, D_opt, tokens per parameter, loss."""
    s = summary
    return (f"<b>{html.escape(s.law.name)}</b>, C = {s.C:.3g} FLOP<br>"
            f"N_opt = {s.N_opt:.3g} parameters &nbsp;·&nbsp; D_opt = {s.D_opt:.3g} tokens<br>"
            f"tokens per parameter = {s.tokens_per_param:.1f} &nbsp;·&nbsp; "
            f"predicted loss = {s.loss:.3f} nats/token")


def budget_alt(summary: BudgetSummary) -> str:
    """One-line text alternative of :func:`budget_figure`."""
    s = summary
    return (f"Left: loss against model size for a budget of {s.C:.2g} FLOP under {s.law.name}, lowest at "
            f"N = {s.N_opt:.3g} (loss {s.loss:.3f}); Kaplan et al.'s size for the same budget is {s.kaplan_N:.3g}. "
            f"Right: the compute-optimal size grows as C^{s.law.a:.2f}, less steeply than Kaplan's C^0.73.")


def _law_role(law: ChinchillaLaw) -> str:
    """The plotting role of a parametric law: Besiroglu's refit, or Hoffmann's (printed or unrounded)."""
    return "besiroglu" if law.name == BESIROGLU_2024.name else "hoffmann"


def budget_figure(summary: BudgetSummary) -> Figure:
    """Left: the IsoFLOP curve with its optimum. Right: N_opt against C, with Kaplan's line.

    Each law is drawn in its own role (:data:`course_utils.plotting.ROLE_STYLE`), solid over
    the compute of the runs it was fitted to and dashed beyond.
    """
    s = summary
    role = _law_role(s.law)
    with styled():
        fig, (left, right) = new_figure(1, 2, size=(9.6, 4.0))
        low, high = lit.HOFFMANN_2022_FIG4_FLOP_RANGE
        plot_curve(left, s.N, s.isoflop_loss, role, extrapolated=not low <= s.C <= high,
                   label=f"L(N, C/6N) at C = {s.C:.2g}" + ("" if low <= s.C <= high else " (dashed: beyond the runs)"))
        plot_points(left, [s.N_opt], [s.loss], "highlight", markersize=12, zorder=5,
                    label=f"optimum N = {s.N_opt:.3g}")
        plot_level(left, s.kaplan_N, "kaplan", orientation="vertical", label=f"Kaplan 2020 size, {s.kaplan_N:.3g}")
        left.set(xscale="log", xlabel="parameters N", ylabel="loss (nats/token)", title="IsoFLOP curve")
        legend(left, "below", ncols=1)

        C_grid = np.logspace(*_BUDGET_EXPONENTS, 61)
        plot_curve(right, C_grid, s.law.compute_optimal(C_grid)[0], role, fitted=lit.HOFFMANN_2022_FIG4_FLOP_RANGE,
                   label=f"{s.law.name}: N_opt ∝ C^{s.law.a:.2f}")
        plot_curve(right, C_grid, kaplan_allocation(C_grid), "kaplan", fitted=kaplan_fitted_flops(),
                   label="Kaplan 2020: 1.3e9·C_PF-days^0.73")
        plot_points(right, [s.C], [s.N_opt], "highlight", markersize=12, zorder=5)
        right.set(xscale="log", yscale="log", xlabel="compute C (FLOP)", ylabel="parameters N",
                  title="Compute-optimal size")
        legend(right, "below", ncols=1, title="dashed: beyond the runs fitted")
        add_source(fig, "laws of Hoffmann et al. 2022 (App. D.2) and Besiroglu et al. 2024 (Table 1), solid over "
                        "the runs of Hoffmann's Figure 4; Kaplan et al. 2020, Table 6, solid up to the largest model "
                        "he trained.")
        finish(fig)
    return fig


def _kaplan_note() -> str:
    k = lit.KAPLAN_2020_ALLOCATION
    exponent = math.floor(math.log10(k["N_coefficient"]))
    coefficient = f"{k['N_coefficient'] / 10**exponent:g}·10<sup>{exponent}</sup>"
    return (f"<small>Kaplan et al. (2020, Table 6) allocate N = {coefficient}·C<sup>"
            f"{k['N_exponent']}</sup> with C in PF-days; only that published line is drawn (dotted). His "
            "losses were measured on other data with another tokenizer, and his N leaves out embeddings, so his "
            "L(N, D) cannot share this loss axis. Minimising his own L(N, D) (eq. 1.5) under C = 6ND gives "
            f"N ∝ C<sup>{kaplan_joint_exponent():.3f}</sup>, not {k['N_exponent']}: his allocation came from a "
            "different fit, of loss against model size and training steps (§6).</small>")


# ========================================================================= fit explorer


def fit_readout(experiment: FitExperiment) -> str:
    """The fit explorer's readout as HTML: fitted α with its interval, and the extrapolation."""
    e = experiment
    pct = round(100 * e.level)
    low, high = e.alpha_interval
    floor = f" &nbsp;·&nbsp; E = {e.fit.E:.3g} (true {e.true_params['E']})" if e.model == "saturating" else ""
    return (f"alpha = {e.fit.alpha:.3f} [{pct}%: {low:.3f}, {high:.3f}] (true {e.true_params['alpha']}){floor}<br>"
            f"at N = {e.extrapolate_to:.3g}: predicted L = {e.extrapolated:.3f} "
            f"[{e.extrapolated_band[0]:.3f}, {e.extrapolated_band[1]:.3f}], true {e.true_at_target:.3f} "
            f"(error {100 * e.extrapolation_error:+.1f}%)")


def fit_alt(experiment: FitExperiment) -> str:
    """One-line text alternative of :func:`fit_figure`."""
    e = experiment
    return (f"{e.x.size} noisy losses between N = {e.x[0]:.2g} and {e.x[-1]:.2g}, a {e.model} fit with its "
            f"{round(100 * e.level)}% bootstrap band, and the true curve; at N = {e.extrapolate_to:.2g} the fit "
            f"predicts {e.extrapolated:.3f} against a true {e.true_at_target:.3f}.")


def fit_figure(experiment: FitExperiment) -> Figure:
    """Data, the fit (solid over the fitted range, dashed beyond) with its bootstrap band, and
    the true curve, with the fitted range shaded."""
    e = experiment
    with styled():
        fig, ax = new_figure(size=(9.0, 4.0))
        ax.axvspan(e.x[0], e.x[-1], **band_style("boundary", alpha=0.12, label="fitted range"))
        ax.plot(e.grid, e.true_curve, **style("truth", "level", label="true curve"))
        plot_curve(ax, e.grid, e.fit_curve, "fit", fitted=(e.x[0], e.x[-1]), band=e.band, label=f"fit ({e.model})",
                   band_label=f"{round(100 * e.level)}% bootstrap band")
        plot_points(ax, e.x, e.y, "data", markersize=5, label="data", zorder=4)
        plot_points(ax, [e.extrapolate_to], [e.true_at_target], "truth", markersize=9, zorder=5,
                    label="truth at the target")
        # Limits follow the truth and the data, so a wild fit visibly leaves the frame.
        values = np.concatenate([e.true_curve, e.y])
        ax.set_ylim(values.min() / 1.15, values.max() * 1.15)
        ax.set(xscale="log", xlabel="parameters N", ylabel="loss (nats/token)")
        legend(ax, "right")
        add_source(fig, "true curve: Hoffmann et al. 2022's printed E, A and α (App. D.2), with noise added here.")
        finish(fig)
    return fig


# ========================================================================= data limits


def data_limits_readout(summary: DataLimitsSummary) -> str:
    """The data-limits explorer's readout as HTML."""
    s = summary
    text = (f"stock of {s.stock_tokens:.3g} tokens used once: reached in {s.exhaustion_year_one_pass:.2f} "
            f"at {s.growth_per_year:.2f}× per year<br>"
            f"with {s.epochs:.3g} epochs: effective data = {s.effective_tokens:.3g} tokens "
            f"({s.effective_tokens / s.stock_tokens:.2f}× the stock; a repeated token is worth "
            f"{s.value_per_token:.3f} of a fresh one), exhaustion year = {s.exhaustion_year_effective:.2f}, "
            f"{s.years_gained:.1f} years later")
    if s.counts_repetition_twice:
        text += ("<br><small>Villalobos et al.'s 3e14 is an <i>effective</i> stock that already allows for "
                 "training on it for several epochs: repeating it again counts repetition twice. Use epochs "
                 "&gt; 1 for a stock of unique tokens.</small>")
    return text


def data_limits_alt(summary: DataLimitsSummary) -> str:
    """One-line text alternative of :func:`data_limits_figure`."""
    s = summary
    text = (f"The largest training set, growing {s.growth_per_year:.2f}× per year from {s.dataset_tokens_now:.2g} "
            f"tokens in {s.year_now:.1f}, reaches the stock of {s.stock_tokens:.2g} tokens in "
            f"{s.exhaustion_year_one_pass:.1f}")
    if s.epochs > 1:
        text += (f" and the stock stretched by {s.epochs:.3g} epochs ({s.effective_tokens:.2g}) in "
                 f"{s.exhaustion_year_effective:.1f}")
    return text + "."


def data_limits_figure(summary: DataLimitsSummary) -> Figure:
    """Largest training set over time against the stock, and the stock stretched by repetition."""
    s = summary
    with styled():
        fig, ax = new_figure(size=(9.0, 4.0))
        low, high = lit.VILLALOBOS_2024_STOCK_INTERVAL
        ax.axhspan(low, high, **band_style("published", label="Villalobos et al. 2024: 90% interval of the stock"))
        plot_curve(ax, s.years, s.dataset_tokens, "model", extrapolated=True,
                   label=f"largest training set, ×{s.growth_per_year:.2f}/year from here")
        plot_points(ax, [s.year_now], [s.dataset_tokens_now], "official", zorder=4,
                    label=f"start: Llama 3, {s.dataset_tokens_now:.2g} tokens in {s.year_now:.1f}")
        plot_level(ax, s.stock_tokens, "published", label=f"stock {s.stock_tokens:.2g} tokens")
        plot_points(ax, [s.exhaustion_year_one_pass], [s.stock_tokens], "highlight", markersize=12, zorder=5,
                    label=f"stock used once: {s.exhaustion_year_one_pass:.1f}")
        if s.epochs > 1:
            plot_level(ax, s.effective_tokens, "bound",
                       label=f"stretched by {s.epochs:.3g} epochs: {s.effective_tokens:.2g}")
            plot_points(ax, [s.exhaustion_year_effective], [s.effective_tokens], "comparison", markersize=9, zorder=5,
                        label=f"stretched stock used up: {s.exhaustion_year_effective:.1f}")
        ax.set(yscale="log", xlabel="year", ylabel="tokens")
        legend(ax, "right")
        add_source(fig, f"Llama 3's {lit.LLAMA3_TRAINING_TOKENS:.3g} tokens (Meta, {lit.LLAMA3_RELEASE_DATE}); stock: "
                        "Villalobos et al. 2024; worth of repeats: Muennighoff et al. 2023.")
        finish(fig)
    return fig


# ============================================================================ widgets


#: One label width for every control, so that sliders line up.
_STYLE = {"description_width": "120px"}
_SHORT_STYLE = {"description_width": "initial"}


def _warning_html(text: str) -> str:
    return f'<span style="color:#b00020">⚠ {html.escape(text)}</span>' if text else ""


class Explorer(widgets.VBox):
    """Controls, a readout, a plot with its text alternative, and a message line.

    ``compute(**values)`` receives the current value of every control in ``controls``
    and returns ``(readout_html, figure, alt_text)``. It runs once at construction and
    again whenever a control changes; a ValueError it raises is shown in ``message`` and
    leaves the readout and plot as they were. ``alt_text`` goes into the plot's PNG metadata
    and the caption (``alt``) under it.
    """

    def __init__(self, title: str, controls: Mapping[str, widgets.ValueWidget], rows: list[widgets.Widget],
                 compute: Callable[..., tuple[str, Figure, str]], css_class: str, note: str = "",
                 message: widgets.HTML | None = None) -> None:
        self.controls = dict(controls)
        self.compute = compute
        self.readout = widgets.HTML()
        self.readout.add_class("cu-readout")
        self.plot = widgets.Image(format="png", layout=widgets.Layout(width="100%", max_width="1440px"))
        self.plot.add_class("cu-plot")
        self.alt = widgets.HTML()
        self.alt.add_class("cu-alt")
        self.message = message if message is not None else widgets.HTML()
        self.message.add_class("cu-message")
        parts = [widgets.HTML(f"<b>{html.escape(title)}</b>"), *rows, self.message, self.readout, self.plot,
                 self.alt]
        if note:
            parts.append(widgets.HTML(note))
        super().__init__(parts)
        self.add_class("cu-explorer")
        self.add_class(css_class)
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()

    def values(self) -> dict[str, object]:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def show_message(self, text: str) -> None:
        """Show ``text`` (plain text) as a warning, or clear the message with ``""``."""
        self.message.value = _warning_html(text)

    def refresh(self) -> None:
        """Recompute from the controls and redraw the readout, the plot and its caption."""
        try:
            readout, figure, alt = self.compute(**self.values())
        except ValueError as error:
            self.show_message(str(error))
            return
        self.show_message("")
        self.readout.value = readout
        # Not Image.tooltip: ipywidgets 8's ImageView fails to render when it is set.
        self.plot.value = figure_png(figure, alt)
        self.alt.value = f"<small><i>Figure: {html.escape(alt)}</i></small>"

    def _on_change(self, change: dict) -> None:
        self.refresh()


def _log_control(label: str, value: float, exponents: tuple[float, float], step: float, css_class: str,
                 message: widgets.HTML, unit: str = "") -> tuple[widgets.FloatLogSlider, widgets.HBox]:
    """A log-scale slider with a text box beside it, kept in step both ways.

    A valid number typed into the box (then Enter) moves the slider; an invalid one shows
    a message in ``message`` and leaves the slider where it was.
    """
    low, high = 10 ** exponents[0], 10 ** exponents[1]
    slider = widgets.FloatLogSlider(value=value, base=10, min=exponents[0], max=exponents[1], step=step,
                                    readout=False, continuous_update=False, description=label,
                                    style=_STYLE, layout=widgets.Layout(width="420px"))
    slider.add_class(css_class)
    text = widgets.Text(value=f"{value:.3g}", continuous_update=False, layout=widgets.Layout(width="110px"))
    text.add_class(f"{css_class}-text")
    syncing = False

    def slider_moved(change: dict) -> None:
        nonlocal syncing
        syncing = True
        text.value = f"{change['new']:.3g}"
        syncing = False

    def text_entered(change: dict) -> None:
        if syncing:
            return
        try:
            number = parse_number(change["new"], label, low, high)
        except ValueError as error:
            message.value = _warning_html(str(error))
            return
        message.value = ""
        slider.value = number

    slider.observe(slider_moved, names="value")
    text.observe(text_entered, names="value")
    return slider, widgets.HBox([slider, text, widgets.Label(unit)])


def compute_budget_explorer(C: float = lit.CHINCHILLA["flops"], law: str | ChinchillaLaw = BESIROGLU_2024) -> Explorer:
    """Explore the compute-optimal model for a training budget (lesson 04).

    A log-scale budget slider (with a text box for typing e.g. ``1e24``) and a choice of
    law (:data:`LAWS`) drive :func:`course_utils.chinchilla.budget_summary`: the IsoFLOP
    curve, its optimum and the readout N_opt, D_opt, tokens per parameter and predicted
    loss. It opens on Besiroglu et al.'s refit, the law lesson 04 ends up trusting; the
    printed and unrounded Hoffmann laws are in the menu. Kaplan et al.'s allocation
    appears only as his published line, with a note on why. The default budget is
    Chinchilla's and Gopher's, 5.76e23 FLOP (Hoffmann et al. 2022, §4).
    """
    message = widgets.HTML()
    budget, budget_row = _log_control("budget C", C, _BUDGET_EXPONENTS, 0.05, "cu-budget", message, "FLOP")
    law_choice = widgets.Dropdown(options=list(LAWS), value=_law(law).name, description="law", style=_STYLE,
                                  layout=widgets.Layout(width="420px"))
    law_choice.add_class("cu-law")

    def compute(budget: float, law: str) -> tuple[str, Figure, str]:
        summary = budget_summary(budget, _law(law))
        return budget_readout(summary), budget_figure(summary), budget_alt(summary)

    return Explorer("Compute-budget explorer", {"budget": budget, "law": law_choice}, [budget_row, law_choice],
                    compute, "cu-compute-budget", note=_kaplan_note(), message=message)


def fit_explorer(noise: float = 0.02, n_points: int = 12, x_range: tuple[float, float] = (1e7, 1e9),
                 n_bootstrap: int = 100) -> Explorer:
    """Explore how a fitted scaling exponent and its extrapolation depend on the data (lesson 02).

    Sliders for the noise, the number of points and the fitted range of model sizes, a
    seed and the model family drive :func:`course_utils.powerlaw.fit_experiment`: the
    plot shows the data, the fit, its bootstrap band and the extrapolation to 1e12
    parameters against the true curve (Hoffmann et al. 2022's printed E, A and α).
    """
    noise_slider = widgets.FloatSlider(value=noise, min=0.0, max=0.1, step=0.005, readout_format=".3f",
                                       continuous_update=False, description="noise (log sd)", style=_STYLE)
    noise_slider.add_class("cu-noise")
    points = widgets.IntSlider(value=n_points, min=4, max=60, continuous_update=False, description="points",
                               style=_STYLE)
    points.add_class("cu-points")
    span = widgets.FloatRangeSlider(value=[math.log10(x_range[0]), math.log10(x_range[1])], min=_FIT_EXPONENTS[0],
                                    max=_FIT_EXPONENTS[1], step=0.25, readout_format=".2f", continuous_update=False,
                                    description="fitted log10 N", style=_STYLE, layout=widgets.Layout(width="420px"))
    span.add_class("cu-range")
    seed = widgets.BoundedIntText(value=0, min=0, max=10_000, description="seed", style=_SHORT_STYLE,
                                  layout=widgets.Layout(width="160px"))
    seed.add_class("cu-seed")
    model = widgets.Dropdown(options=list(FIT_MODELS), value="saturating", description="model", style=_SHORT_STYLE)
    model.add_class("cu-model")

    def compute(noise: float, n_points: int, span: tuple[float, float], seed: int, model: str):
        if span[0] >= span[1]:
            raise ValueError("the fitted range is empty: move the two ends of 'fitted log10 N' apart")
        experiment = fit_experiment(noise, n_points, (10 ** span[0], 10 ** span[1]), seed=seed, model=model,
                                    n_bootstrap=n_bootstrap)
        return fit_readout(experiment), fit_figure(experiment), fit_alt(experiment)

    printed = lit.HOFFMANN_2022_PRINTED
    note = (f"<small>True curve (dashed): L(N) = {printed.E} + {printed.A}/N<sup>{printed.alpha}</sup>, the E, A "
            "and α Hoffmann et al. (2022, App. D.2) printed. The cross marks the truth at 1e12 parameters; the "
            f"hatched band is the spread of {n_bootstrap} bootstrap refits.</small>")
    controls = {"noise": noise_slider, "n_points": points, "span": span, "seed": seed, "model": model}
    rows = [widgets.HBox([noise_slider, points]), widgets.HBox([span, seed, model])]
    return Explorer("Fit explorer", controls, rows, compute, "cu-fit-explorer", note=note)


def data_limits_explorer(stock_tokens: float = lit.VILLALOBOS_2024_STOCK_TOKENS, epochs: float = 1.0,
                         growth_per_year: float = lit.EPOCH_2024_DATASET_GROWTH_PER_YEAR) -> Explorer:
    """Explore when growing training sets use up a stock of text, and what repetition buys (lesson 05).

    The stock and the epochs (log sliders with text boxes) and the yearly growth of
    training sets drive :func:`course_utils.data_limits.data_limits_summary`. Defaults:
    Villalobos et al. 2024's effective stock of 3e14 tokens, used once (their estimate
    already allows for several epochs), and Epoch AI's 3.7× per year (June 2024 snapshot).
    Set your own stock of unique tokens to see what repeating it is worth (Muennighoff et
    al. 2023).
    """
    message = widgets.HTML()
    stock, stock_row = _log_control("stock of text", stock_tokens, _STOCK_EXPONENTS, 0.05, "cu-stock", message,
                                    "tokens")
    passes, epochs_row = _log_control("epochs", epochs, _EPOCHS_EXPONENTS, 0.05, "cu-epochs", message, "passes")
    growth = widgets.FloatSlider(value=growth_per_year, min=1.2, max=10.0, step=0.1, readout_format=".1f",
                                 continuous_update=False, description="growth ×/year",
                                 style=_STYLE, layout=widgets.Layout(width="420px"))
    growth.add_class("cu-growth")

    def compute(stock_tokens: float, epochs: float, growth_per_year: float):
        summary = data_limits_summary(stock_tokens, epochs, growth_per_year)
        return data_limits_readout(summary), data_limits_figure(summary), data_limits_alt(summary)

    low, high = lit.VILLALOBOS_2024_STOCK_INTERVAL
    note = (f"<small>Start: Llama 3, trained on {lit.LLAMA3_TRAINING_TOKENS:.3g} tokens (Meta, "
            f"{lit.LLAMA3_RELEASE_DATE}). Stock: Villalobos et al. 2024's effective stock of public human text, "
            f"about {lit.VILLALOBOS_2024_STOCK_TOKENS:.0e} tokens (90% interval {low:.0e} to {high:.0e}); it already "
            "allows for several epochs, so leave epochs at 1 for it. Growth: Epoch AI measured "
            f"{lit.EPOCH_2024_DATASET_GROWTH_PER_YEAR}× per year ({lit.EPOCH_2024_DATASET_GROWTH_DATE} snapshot). "
            f"Worth of repeats: Muennighoff et al. 2023, R<sub>D</sub>* = {lit.MUENNIGHOFF_2023_R_D_STAR:.1f}.</small>")
    controls = {"stock_tokens": stock, "epochs": passes, "growth_per_year": growth}
    return Explorer("Data-limits explorer", controls, [stock_row, epochs_row, growth], compute, "cu-data-limits",
                    note=note, message=message)
