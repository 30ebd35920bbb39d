"""Interactive explorers for the lessons: move a slider, watch a scaling law respond.

Each explorer is two layers:

* a **plain function** that does the science and returns numbers and arrays
  (:func:`budget_summary`, :func:`fit_experiment`, :func:`data_limits_summary`), built on
  :mod:`course_utils.chinchilla`, :mod:`course_utils.powerlaw` and
  :mod:`course_utils.data_limits` and unit-tested like any other function;
* a **widget** that only wires ipywidgets controls to that function
  (:func:`compute_budget_explorer`, :func:`fit_explorer`, :func:`data_limits_explorer`).

The plot of an explorer is a PNG drawn with matplotlib's object-oriented API (no pyplot,
so the learner's own figures are untouched) and shown in an ``ipywidgets.Image`` whose
bytes are replaced in place: no flicker, and no interactive matplotlib backend needed.
A value typed into a text box that makes no sense (a negative budget, zero epochs) is
reported in the explorer's message line; the plot keeps its last good state.

Every explorer is built fresh by its function, so re-running a notebook makes a new,
working explorer. In the browser the parts carry stable CSS classes (``cu-readout``,
``cu-plot``, ``cu-message`` and one per control) so that tests can find them.
"""

from __future__ import annotations

import html
import io
import math
from dataclasses import dataclass
from typing import Callable, Mapping

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from course_utils import literature as lit
from course_utils.chinchilla import (
    BESIROGLU_2024, HOFFMANN_2022, HOFFMANN_2022_UNROUNDED, ChinchillaLaw, kaplan_allocation,
    kaplan_joint_compute_optimal,
)
from course_utils.data_limits import data_exhaustion_year, effective_data, repeated_data_value
from course_utils.powerlaw import (
    PowerLawFit, SaturatingPowerLawFit, bootstrap, fit_power_law, fit_saturating_power_law,
)
from course_utils.trends import decimal_year

__all__ = [
    "LAWS", "BudgetSummary", "budget_summary", "budget_readout", "budget_figure", "kaplan_joint_exponent",
    "FIT_MODELS", "FitExperiment", "fit_experiment", "fit_readout", "fit_figure",
    "DataLimitsSummary", "data_limits_summary", "data_limits_readout", "data_limits_figure",
    "parse_number", "Explorer", "compute_budget_explorer", "fit_explorer", "data_limits_explorer",
]

#: The parametric laws the compute-budget explorer offers, by display name.
LAWS: dict[str, ChinchillaLaw] = {law.name: law for law in (HOFFMANN_2022, HOFFMANN_2022_UNROUNDED, BESIROGLU_2024)}

# Slider ranges (log10). Budgets span a small lab run (1e16 FLOP) to beyond today's
# frontier (1e28); the fit explorer's model sizes span 1M to 100B parameters.
_BUDGET_EXPONENTS = (16.0, 28.0)
_FIT_EXPONENTS = (6.0, 11.0)
_UNIQUE_EXPONENTS = (12.0, 16.0)
_EPOCHS_EXPONENTS = (0.0, 3.0)


def _positive_float(name: str, value: float) -> float:
    if isinstance(value, (bool, str, bytes)):
        raise ValueError(f"{name} must be a positive number; got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number; got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")
    return number


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


# ====================================================================== compute budget


@dataclass(frozen=True)
class BudgetSummary:
    """Compute-optimal allocation of a training budget under one parametric law.

    ``N`` and ``isoflop_loss`` trace the IsoFLOP curve L(N, C/(6N)) around the optimum;
    ``kaplan_N`` is Kaplan et al.'s published allocation for the same budget, for
    comparison only (see :func:`compute_budget_explorer`).
    """

    C: float
    law: ChinchillaLaw
    N_opt: float
    D_opt: float
    tokens_per_param: float
    loss: float
    N: np.ndarray
    isoflop_loss: np.ndarray
    kaplan_N: float


def _law(law: str | ChinchillaLaw) -> ChinchillaLaw:
    if isinstance(law, ChinchillaLaw):
        return law
    if law in LAWS:
        return LAWS[law]
    raise ValueError(f"law must be a ChinchillaLaw or one of {sorted(LAWS)}; got {law!r}")


def budget_summary(C: float, law: str | ChinchillaLaw = HOFFMANN_2022, span: float = 100.0,
                   n_grid: int = 201) -> BudgetSummary:
    """Where a budget of ``C`` FLOP should go, and the IsoFLOP curve around that point.

    N_opt = G·(C/6)^a, D_opt = C/(6·N_opt) (Hoffmann et al. 2022, eq. 4, via
    :meth:`ChinchillaLaw.compute_optimal`); the predicted loss is L(N_opt, D_opt). The
    IsoFLOP curve is L(N, C/(6N)) for N from N_opt/span to N_opt·span.

    Parameters
    ----------
    C : float
        Training compute in FLOP, > 0.
    law : ChinchillaLaw or str
        A law, or a key of :data:`LAWS`.
    span : float
        How far the IsoFLOP curve reaches either side of N_opt, as a factor (> 1).
    n_grid : int
        Points on the curve (≥ 3).
    """
    C = _positive_float("C", C)
    law = _law(law)
    if not (math.isfinite(span) and span > 1):
        raise ValueError(f"span must be a finite factor above 1; got {span!r}")
    if not isinstance(n_grid, (int, np.integer)) or n_grid < 3:
        raise ValueError(f"n_grid must be an integer of at least 3; got {n_grid!r}")
    N_opt, D_opt = law.compute_optimal(C)
    N = np.geomspace(N_opt / span, N_opt * span, n_grid)
    return BudgetSummary(C=C, law=law, N_opt=N_opt, D_opt=D_opt, tokens_per_param=law.tokens_per_parameter(C),
                         loss=law.loss(N_opt, D_opt), N=N, isoflop_loss=law.isoflop_loss(N, C),
                         kaplan_N=kaplan_allocation(C))


def kaplan_joint_exponent(C_low: float = 1e20, C_high: float = 1e24) -> float:
    """Slope d log N_opt / d log C of Kaplan's own joint law minimised under C = 6ND.

    Measured between two budgets from :func:`course_utils.chinchilla.kaplan_joint_compute_optimal`;
    it is α_D/(α_N + α_D) = 0.103/0.179 ≈ 0.575 (Kaplan et al. 2020, eq. 1.5, Table 2),
    not the 0.73 of his published allocation.
    """
    (N_low, N_high), _ = kaplan_joint_compute_optimal(np.array([C_low, C_high]))
    return float(np.log(N_high / N_low) / np.log(C_high / C_low))


def budget_readout(summary: BudgetSummary) -> str:
    """The explorer's readout as HTML: N_opt, D_opt, tokens per parameter, loss."""
    s = summary
    return (f"<b>{html.escape(s.law.name)}</b>, C = {s.C:.3g} FLOP<br>"
            f"N_opt = {s.N_opt:.3g} parameters &nbsp;·&nbsp; D_opt = {s.D_opt:.3g} tokens<br>"
            f"tokens per parameter = {s.tokens_per_param:.1f} &nbsp;·&nbsp; "
            f"predicted loss = {s.loss:.3f} nats/token")


def budget_figure(summary: BudgetSummary) -> Figure:
    """Left: the IsoFLOP curve with its optimum. Right: N_opt against C, with Kaplan's line."""
    s = summary
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.plot(s.N, s.isoflop_loss, color="C0", label=f"L(N, C/6N), C = {s.C:.2g}")
    left.plot([s.N_opt], [s.loss], "o", color="C3", label=f"optimum N = {s.N_opt:.3g}")
    left.axvline(s.kaplan_N, color="0.5", linestyle="--", label=f"Kaplan 2020 size, {s.kaplan_N:.3g}")
    left.set(xscale="log", xlabel="parameters N", ylabel="loss (nats/token)", title="IsoFLOP curve")
    left.legend(fontsize="small")

    C_grid = np.logspace(*_BUDGET_EXPONENTS, 61)
    right.plot(C_grid, s.law.compute_optimal(C_grid)[0], color="C0", label=f"N_opt ∝ C^{s.law.a:.2f}")
    right.plot(C_grid, kaplan_allocation(C_grid), color="0.5", linestyle="--",
               label="Kaplan 2020: 1.3e9·C_PF-days^0.73")
    right.plot([s.C], [s.N_opt], "o", color="C3")
    right.set(xscale="log", yscale="log", xlabel="compute C (FLOP)", ylabel="parameters N",
              title="compute-optimal size")
    right.legend(fontsize="small")
    return fig


def _kaplan_note() -> str:
    k = lit.KAPLAN_2020_ALLOCATION
    exponent = math.floor(math.log10(k["N_coefficient"]))
    coefficient = f"{k['N_coefficient'] / 10**exponent:g}·10<sup>{exponent}</sup>"
    return (f"<small>Kaplan et al. (2020, Table 6) allocate N = {coefficient}·C<sup>"
            f"{k['N_exponent']}</sup> with C in PF-days; only that published line is drawn. His losses "
            "were measured on other data with another tokenizer, and his N leaves out embeddings, so his "
            "L(N, D) cannot share this loss axis. Minimising his own L(N, D) (eq. 1.5) under C = 6ND gives "
            f"N ∝ C<sup>{kaplan_joint_exponent():.3f}</sup>, not {k['N_exponent']}: his allocation came from a "
            "different fit, of loss against model size and training steps (§6).</small>")


# ========================================================================= fit explorer


@dataclass(frozen=True)
class FitExperiment:
    """One draw of noisy data from a known curve, its fit and a bootstrap band.

    ``grid`` runs from the smallest fitted x out to ``extrapolate_to``; ``band`` is the
    pointwise bootstrap interval of the fitted curve on that grid. ``extrapolated`` and
    ``true_at_target`` are the fitted and true values at ``extrapolate_to``.
    """

    x: np.ndarray
    y: np.ndarray
    model: str
    fit: PowerLawFit | SaturatingPowerLawFit
    true_params: dict[str, float]
    grid: np.ndarray
    true_curve: np.ndarray
    fit_curve: np.ndarray
    band: tuple[np.ndarray, np.ndarray]
    alpha_interval: tuple[float, float]
    level: float
    extrapolate_to: float
    extrapolated: float
    extrapolated_band: tuple[float, float]
    true_at_target: float
    n_bootstrap_failed: int

    @property
    def extrapolation_error(self) -> float:
        """Relative error of the extrapolated value: predicted/true − 1."""
        return self.extrapolated / self.true_at_target - 1.0


#: The fit explorer's two model families.
FIT_MODELS = ("saturating", "power law")


def _true_loss_curve() -> dict[str, float]:
    """L(N) = E + A/N^α with Hoffmann et al. 2022's printed E, A, α (App. D.2): the loss of
    an N-parameter model given unlimited data under their law."""
    p = lit.HOFFMANN_2022_PRINTED
    return {"E": p.E, "A": p.A, "alpha": p.alpha}


def fit_experiment(noise: float, n_points: int, x_range: tuple[float, float], seed: int = 0,
                   model: str = "saturating", n_bootstrap: int = 100, level: float = 0.9,
                   extrapolate_to: float = 1e12) -> FitExperiment:
    """Draw noisy points from a known scaling curve, fit them, and extrapolate.

    The true curve is L(N) = E + A/N^α with Hoffmann et al. 2022's printed values
    (E = 1.69, A = 406.4, α = 0.34, App. D.2). ``n_points`` model sizes are log-spaced
    over ``x_range``; each loss is multiplied by exp(noise·z), z standard normal
    (``numpy.random.default_rng(seed)``). The fit is either the right family,
    E + A·N^(−α) (:func:`course_utils.powerlaw.fit_saturating_power_law`), or a pure power
    law A·N^(−α) that ignores the floor (:func:`course_utils.powerlaw.fit_power_law`). The
    band is the pointwise ``level`` interval of ``n_bootstrap`` pairs-bootstrap refits
    (:func:`course_utils.powerlaw.bootstrap`); saturating refits start from the full-data
    fit, which keeps a refit to a few milliseconds.

    Parameters
    ----------
    noise : float
        Standard deviation of the log noise, ≥ 0 (0.02 is about 2% scatter).
    n_points : int
        Number of model sizes, at least 4.
    x_range : (float, float)
        Smallest and largest fitted model size, 0 < low < high.
    seed : int
    model : {"saturating", "power law"}
    n_bootstrap : int
        Bootstrap refits, at least 2.
    level : float
        Coverage of the band and of the interval on α, in (0, 1).
    extrapolate_to : float
        Model size at which to compare the extrapolation with the truth (> high).
    """
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.integer, np.floating)) \
            or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0; got {noise!r}")
    if not isinstance(n_points, (int, np.integer)) or isinstance(n_points, bool) or n_points < 4:
        raise ValueError(f"n_points must be an integer of at least 4; got {n_points!r}")
    try:
        low, high = x_range
    except (TypeError, ValueError):
        raise ValueError(f"x_range must be a pair (low, high); got {x_range!r}") from None
    low, high = _positive_float("x_range[0]", low), _positive_float("x_range[1]", high)
    if not low < high:
        raise ValueError(f"x_range must be (low, high) with low < high; got {x_range!r}")
    if model not in FIT_MODELS:
        raise ValueError(f"model must be one of {FIT_MODELS}; got {model!r}")
    if not isinstance(n_bootstrap, (int, np.integer)) or n_bootstrap < 2:
        raise ValueError(f"n_bootstrap must be an integer of at least 2; got {n_bootstrap!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1; got {level!r}")
    extrapolate_to = _positive_float("extrapolate_to", extrapolate_to)
    if extrapolate_to <= high:
        raise ValueError(f"extrapolate_to must lie beyond the fitted range (> {high:g}); got {extrapolate_to:g}")

    true = _true_loss_curve()

    def true_loss(n: np.ndarray) -> np.ndarray:
        return true["E"] + true["A"] * n ** (-true["alpha"])

    x = np.geomspace(low, high, int(n_points))
    y = true_loss(x) * np.exp(noise * np.random.default_rng(seed).standard_normal(x.size))
    if model == "saturating":
        fit = fit_saturating_power_law(x, y)
        start = [[fit.E, fit.A, fit.alpha]]
        result = bootstrap(lambda xs, ys: fit_saturating_power_law(xs, ys, starts=start), x, y,
                           n=int(n_bootstrap), seed=seed)
    else:
        fit = fit_power_law(x, y)
        result = bootstrap(fit_power_law, x, y, n=int(n_bootstrap), seed=seed)
    grid = np.geomspace(low, extrapolate_to, 200)
    band = result.predict_band(grid, level)
    target_band = result.predict_band([extrapolate_to], level)
    return FitExperiment(
        x=x, y=y, model=model, fit=fit, true_params=true, grid=grid, true_curve=true_loss(grid),
        fit_curve=fit.predict(grid), band=band, alpha_interval=result.interval("alpha", level), level=level,
        extrapolate_to=extrapolate_to, extrapolated=float(fit.predict([extrapolate_to])[0]),
        extrapolated_band=(float(target_band[0][0]), float(target_band[1][0])),
        true_at_target=float(true_loss(np.array(extrapolate_to))), n_bootstrap_failed=result.n_failed)


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


def fit_figure(experiment: FitExperiment) -> Figure:
    """Data, fit, bootstrap band and true curve, with the fitted range shaded."""
    e = experiment
    fig = Figure(figsize=(9, 3.8), layout="constrained")
    ax = fig.subplots()
    ax.axvspan(e.x[0], e.x[-1], color="0.93", label="fitted range")
    ax.fill_between(e.grid, *e.band, color="C0", alpha=0.25, label=f"{round(100 * e.level)}% bootstrap band")
    ax.plot(e.grid, e.true_curve, color="k", linestyle="--", label="true curve")
    ax.plot(e.grid, e.fit_curve, color="C0", label=f"fit ({e.model})")
    ax.plot(e.x, e.y, "o", color="C1", markersize=4, label="data")
    ax.plot([e.extrapolate_to], [e.true_at_target], "x", color="k", markersize=8)
    # Limits follow the truth and the data, so a wild fit visibly leaves the frame.
    values = np.concatenate([e.true_curve, e.y])
    ax.set_ylim(values.min() / 1.15, values.max() * 1.15)
    ax.set(xscale="log", xlabel="parameters N", ylabel="loss (nats/token)")
    ax.legend(fontsize="small", loc="upper right")
    return fig


# ========================================================================= data limits


@dataclass(frozen=True)
class DataLimitsSummary:
    """What repeating a stock of text is worth, and when growing datasets exhaust it.

    ``years`` and ``dataset_tokens`` trace the largest training set growing from
    ``dataset_tokens_now`` in ``year_now`` by ``growth_per_year``.
    """

    unique_tokens: float
    epochs: float
    growth_per_year: float
    effective_tokens: float
    value_per_token: float
    exhaustion_year_unique: float
    exhaustion_year_effective: float
    dataset_tokens_now: float
    year_now: float
    years: np.ndarray
    dataset_tokens: np.ndarray


def data_limits_summary(unique_tokens: float, epochs: float, growth_per_year: float,
                        dataset_tokens_now: float = lit.LLAMA3_TRAINING_TOKENS,
                        year_now: float | None = None) -> DataLimitsSummary:
    """Effective data from repeating a stock, and the year training sets reach it.

    Effective data D' = effective_data(U, epochs·U) (Muennighoff et al. 2023, eq. 5);
    the year a training set growing ×g per year from D_now reaches a stock S is
    year_now + log(S/D_now)/log(g) (:func:`course_utils.data_limits.data_exhaustion_year`),
    once for the unique stock and once for the effective stock.

    Parameters
    ----------
    unique_tokens : float
        U, unique tokens available (Villalobos et al. 2024: about 3e14 of public text).
    epochs : float
        Passes over the stock a lab is willing to make, ≥ 1.
    growth_per_year : float
        Yearly growth factor of the largest training sets, > 1.
    dataset_tokens_now, year_now : float
        Starting point; default Llama 3's 15T tokens on its release date (18 April 2024).
    """
    unique_tokens = _positive_float("unique_tokens", unique_tokens)
    epochs = _positive_float("epochs", epochs)
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1 (one pass over the unique data); got {epochs!r}")
    growth_per_year = _positive_float("growth_per_year", growth_per_year)
    year_now = decimal_year(lit.LLAMA3_RELEASE_DATE) if year_now is None else year_now
    effective = effective_data(unique_tokens, epochs * unique_tokens)
    year_unique = data_exhaustion_year(dataset_tokens_now, year_now, growth_per_year, unique_tokens)
    year_effective = data_exhaustion_year(dataset_tokens_now, year_now, growth_per_year, effective)
    first, last = min(year_now, year_unique) - 1, max(year_now, year_effective) + 2
    years = np.linspace(first, last, 200)
    return DataLimitsSummary(
        unique_tokens=unique_tokens, epochs=epochs, growth_per_year=growth_per_year, effective_tokens=effective,
        value_per_token=repeated_data_value(epochs), exhaustion_year_unique=year_unique,
        exhaustion_year_effective=year_effective, dataset_tokens_now=float(dataset_tokens_now),
        year_now=float(year_now), years=years,
        dataset_tokens=dataset_tokens_now * growth_per_year ** (years - year_now))


def data_limits_readout(summary: DataLimitsSummary) -> str:
    """The data-limits explorer's readout as HTML."""
    s = summary
    return (f"effective data = {s.effective_tokens:.3g} tokens ({s.effective_tokens / s.unique_tokens:.2f}× "
            f"the unique {s.unique_tokens:.3g}; a repeated token is worth {s.value_per_token:.3f} of a fresh one)<br>"
            f"exhaustion year = {s.exhaustion_year_effective:.1f} with {s.epochs:.3g} epochs "
            f"({s.exhaustion_year_unique:.1f} using each token once), at {s.growth_per_year:.2f}× per year")


def data_limits_figure(summary: DataLimitsSummary) -> Figure:
    """Largest training set over time against the unique and the effective stock."""
    s = summary
    fig = Figure(figsize=(9, 3.8), layout="constrained")
    ax = fig.subplots()
    ax.plot(s.years, s.dataset_tokens, color="C0", label=f"largest training set, ×{s.growth_per_year:.2f}/year")
    ax.plot([s.year_now], [s.dataset_tokens_now], "o", color="C0",
            label=f"start: {s.dataset_tokens_now:.2g} tokens in {s.year_now:.1f}")
    ax.axhline(s.unique_tokens, color="0.4", linestyle=":", label=f"unique stock {s.unique_tokens:.2g}")
    ax.axhline(s.effective_tokens, color="C3", linestyle="--",
               label=f"effective stock with {s.epochs:.3g} epochs {s.effective_tokens:.2g}")
    ax.axvline(s.exhaustion_year_effective, color="C3", alpha=0.6,
               label=f"effective stock used up: {s.exhaustion_year_effective:.1f}")
    ax.set(yscale="log", xlabel="year", ylabel="tokens")
    ax.legend(fontsize="small", loc="upper left")
    return fig


# ============================================================================ widgets


#: One label width for every control, so that sliders line up.
_STYLE = {"description_width": "120px"}
_SHORT_STYLE = {"description_width": "initial"}


def _warning_html(text: str) -> str:
    return f'<span style="color:#b00020">⚠ {html.escape(text)}</span>' if text else ""


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


class Explorer(widgets.VBox):
    """Controls, a readout, a plot and a message line, wired to one plain function.

    ``compute(**values)`` receives the current value of every control in ``controls``
    and returns ``(readout_html, figure)``. It runs once at construction and again
    whenever a control changes; a ValueError it raises is shown in ``message`` and
    leaves the readout and plot as they were.
    """

    def __init__(self, title: str, controls: Mapping[str, widgets.ValueWidget], rows: list[widgets.Widget],
                 compute: Callable[..., tuple[str, Figure]], css_class: str, note: str = "",
                 message: widgets.HTML | None = None) -> None:
        self.controls = dict(controls)
        self.compute = compute
        self.readout = widgets.HTML()
        self.readout.add_class("cu-readout")
        self.plot = widgets.Image(format="png", layout=widgets.Layout(width="100%", max_width="960px"))
        self.plot.add_class("cu-plot")
        self.message = message if message is not None else widgets.HTML()
        self.message.add_class("cu-message")
        parts = [widgets.HTML(f"<b>{html.escape(title)}</b>"), *rows, self.message, self.readout, self.plot]
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
        """Recompute from the controls and redraw the readout and the plot in place."""
        try:
            readout, figure = self.compute(**self.values())
        except ValueError as error:
            self.show_message(str(error))
            return
        self.show_message("")
        self.readout.value = readout
        self.plot.value = _png(figure)

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


def compute_budget_explorer(C: float = lit.CHINCHILLA["flops"], law: str = HOFFMANN_2022.name) -> Explorer:
    """Explore the compute-optimal model for a training budget (lesson 04).

    A log-scale budget slider (with a text box for typing e.g. ``1e24``) and a choice of
    law (:data:`LAWS`) drive :func:`budget_summary`: the IsoFLOP curve, its optimum and the
    readout N_opt, D_opt, tokens per parameter and predicted loss. Kaplan et al.'s
    allocation appears only as his published line, with a note on why. The default budget
    is Chinchilla's and Gopher's, 5.76e23 FLOP (Hoffmann et al. 2022, §4).
    """
    message = widgets.HTML()
    budget, budget_row = _log_control("budget C", C, _BUDGET_EXPONENTS, 0.05, "cu-budget", message, "FLOP")
    law_choice = widgets.Dropdown(options=list(LAWS), value=_law(law).name, description="law", style=_STYLE,
                                  layout=widgets.Layout(width="420px"))
    law_choice.add_class("cu-law")

    def compute(budget: float, law: str) -> tuple[str, Figure]:
        summary = budget_summary(budget, law)
        return budget_readout(summary), budget_figure(summary)

    return Explorer("Compute-budget explorer", {"budget": budget, "law": law_choice}, [budget_row, law_choice],
                    compute, "cu-compute-budget", note=_kaplan_note(), message=message)


def fit_explorer(noise: float = 0.02, n_points: int = 12, x_range: tuple[float, float] = (1e7, 1e9),
                 n_bootstrap: int = 100) -> Explorer:
    """Explore how a fitted scaling exponent and its extrapolation depend on the data (lesson 02).

    Sliders for the noise, the number of points and the fitted range of model sizes, a
    seed and the model family drive :func:`fit_experiment`: the plot shows the data, the
    fit, its bootstrap band and the extrapolation to 1e12 parameters against the true
    curve (Hoffmann et al. 2022's printed E, A and α).
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
        return fit_readout(experiment), fit_figure(experiment)

    true = _true_loss_curve()
    note = (f"<small>True curve: L(N) = {true['E']} + {true['A']}/N<sup>{true['alpha']}</sup>, the E, A and α "
            "Hoffmann et al. (2022, App. D.2) printed. The cross marks the truth at 1e12 parameters; the band "
            f"is the spread of {n_bootstrap} bootstrap refits.</small>")
    controls = {"noise": noise_slider, "n_points": points, "span": span, "seed": seed, "model": model}
    rows = [widgets.HBox([noise_slider, points]), widgets.HBox([span, seed, model])]
    return Explorer("Fit explorer", controls, rows, compute, "cu-fit-explorer", note=note)


def data_limits_explorer(unique_tokens: float = lit.VILLALOBOS_2024_STOCK_TOKENS, epochs: float = 4.0,
                         growth_per_year: float = lit.EPOCH_2024_DATASET_GROWTH_PER_YEAR) -> Explorer:
    """Explore what repeated data is worth and when the stock of text runs out (lesson 05).

    Unique tokens and epochs (log sliders with text boxes) and the yearly growth of
    training sets drive :func:`data_limits_summary`. Defaults: Villalobos et al. 2024's
    stock of 3e14 tokens, 4 epochs (Muennighoff et al. 2023: "negligible" loss change up
    to 4) and Epoch AI's 3.7× per year (June 2024 snapshot).
    """
    message = widgets.HTML()
    unique, unique_row = _log_control("unique tokens", unique_tokens, _UNIQUE_EXPONENTS, 0.05, "cu-unique",
                                      message, "tokens")
    passes, epochs_row = _log_control("epochs", epochs, _EPOCHS_EXPONENTS, 0.05, "cu-epochs", message, "passes")
    growth = widgets.FloatSlider(value=growth_per_year, min=1.2, max=10.0, step=0.1, readout_format=".1f",
                                 continuous_update=False, description="growth ×/year",
                                 style=_STYLE, layout=widgets.Layout(width="420px"))
    growth.add_class("cu-growth")

    def compute(unique_tokens: float, epochs: float, growth_per_year: float):
        summary = data_limits_summary(unique_tokens, epochs, growth_per_year)
        return data_limits_readout(summary), data_limits_figure(summary)

    low, high = lit.VILLALOBOS_2024_STOCK_INTERVAL
    note = (f"<small>Start: Llama 3, trained on {lit.LLAMA3_TRAINING_TOKENS:.3g} tokens (Meta, "
            f"{lit.LLAMA3_RELEASE_DATE}). Stock of public human text: about {lit.VILLALOBOS_2024_STOCK_TOKENS:.0e} "
            f"tokens, 90% interval {low:.0e} to {high:.0e} (Villalobos et al. 2024). Growth: Epoch AI measured "
            f"{lit.EPOCH_2024_DATASET_GROWTH_PER_YEAR}× per year ({lit.EPOCH_2024_DATASET_GROWTH_DATE} snapshot). "
            f"Worth of repeats: Muennighoff et al. 2023, R<sub>D</sub>* = {lit.MUENNIGHOFF_2023_R_D_STAR:.1f}.</small>")
    controls = {"unique_tokens": unique, "epochs": passes, "growth_per_year": growth}
    return Explorer("Data-limits explorer", controls, [unique_row, epochs_row, growth], compute, "cu-data-limits",
                    note=note, message=message)
