"""Run a grid of training runs, appending each finished run to a results file at once.

A sweep resumes: run ids already in the results file are skipped, so an interrupted sweep
never loses or duplicates a run. Ctrl-C stops cleanly and keeps every finished run.
"""

from __future__ import annotations

import os
from pathlib import Path

from course_utils.lab.language import SyntheticLanguage
from course_utils.lab.presets import PRESETS, Preset
from course_utils.lab.train import TrainSettings, check_budget, run_id, train
from course_utils.results import RunResult, append_result, read_results

__all__ = ["run_sweep", "plan"]


def _preset(preset: str | Preset) -> Preset:
    if isinstance(preset, Preset):
        return preset
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}; got {preset!r}")
    return PRESETS[preset]


def plan(preset: str | Preset, settings: TrainSettings = TrainSettings()) -> dict:
    """Runs of a preset with their 6N and counted FLOPs (validates every budget first)."""
    preset = _preset(preset)
    runs = preset.runs()
    for config, tokens, _ in runs:
        check_budget(config, tokens, settings)
    return {"runs": len(runs),
            "flops_6nd": sum(c.flops_6n_per_token() * t for c, t, _ in runs),
            "flops_counted": sum(c.training_flops_per_token() * t for c, t, _ in runs)}


def run_sweep(preset: str | Preset, out: str | os.PathLike, *, device: str = "cpu",
              threads: int | None = None, seed: int = 0, progress: bool = True,
              settings: TrainSettings = TrainSettings()) -> list[RunResult]:
    """Run every configuration of ``preset`` not yet in ``out``; return the finished runs.

    Raises ValueError before any training for an unknown preset, a budget below one batch
    or a results path that cannot be written.
    """
    preset = _preset(preset)
    plan(preset, settings)
    out = Path(out)
    if out.is_dir() or not out.parent.is_dir() or not os.access(out.parent, os.W_OK) \
            or (out.exists() and not os.access(out, os.W_OK)):
        raise ValueError(f"out must be a writable file path; got {str(out)!r}")
    language = SyntheticLanguage(seed=seed, vocab_size=preset.vocab_size)
    done = {r.run_id for r in read_results(out)}
    windows = language.validation_windows(settings.n_val_windows, preset.n_ctx + 1)
    validation = (windows, language.oracle_nll(windows))
    finished: list[RunResult] = []
    try:
        for config, tokens, run_seed in preset.runs():
            if run_id(language, config, tokens, run_seed, settings) in done:
                continue
            report = train(config, language, tokens, run_seed, settings, device=device,
                           threads=threads, progress=progress, validation=validation)
            append_result(out, report.result)
            finished.append(report.result)
    except KeyboardInterrupt:
        print(f"interrupted: {len(finished)} finished run(s) kept in {out}")
    return finished
