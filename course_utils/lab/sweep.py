"""Run a grid of training runs, appending each finished run to a results file at once.

A sweep resumes: run ids already in the results file are skipped, so an interrupted sweep
never loses or duplicates a run. Ctrl-C stops cleanly, keeps every finished run and
re-raises ``KeyboardInterrupt`` (the command line exits with status 130). While a sweep
writes its results file it holds a lock on it (:func:`course_utils.results.lock_results`):
a second sweep on the same file stops at once and says who holds it.

A sweep can run in parts: ``shard="K/N"`` (or ``"auto"`` inside a Slurm array or a
Kubernetes Indexed Job, see :mod:`course_utils.sharding`) trains the K-th of N parts of the
preset, dealt longest first so that the parts cost about the same; each part writes its own
file and :func:`course_utils.results.merge_results` (``lab merge``) joins them.

On a CPU the runs go to worker processes that train one run each on a single thread:
on 2 cores two such workers train more tokens per second than one process using both
cores, because these small matrices leave a second thread idle much of the time
(``benchmarks/bench_lab.py`` measures both side by side). Each run uses one thread
wherever it is trained, so its loss does not depend on how many workers ran the sweep.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import queue
import signal
import sys
import time
from pathlib import Path

import torch

from course_utils.heap import keep_freed_memory
from course_utils.lab.language import SyntheticLanguage
from course_utils.lab.model import ModelConfig, TinyTransformer
from course_utils.lab.presets import PRESETS, Preset
from course_utils.lab.train import TrainSettings, _optimizer, check_budget, run_id, train
from course_utils.results import RunResult, append_result, lock_results, read_results
from course_utils.sharding import Shard, parse_shard

__all__ = ["run_sweep", "plan", "estimate_seconds", "default_workers", "shard_runs"]

#: Threads per run: one, so that a sweep's results do not depend on its worker count.
RUN_THREADS = 1


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


def default_workers(device: str = "cpu") -> int:
    """Two single-thread workers on a CPU with at least two cores; otherwise one."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 2 if device == "cpu" and cpus >= 2 else 1


def _step_seconds(config: ModelConfig, settings: TrainSettings, steps: int = 8) -> float:
    """Seconds of one optimiser step of ``config`` on one thread (after one warm-up step),
    timed the way :func:`train` steps: fresh text from the language, the rate set, the loss read."""
    previous = torch.get_num_threads()
    torch.set_num_threads(RUN_THREADS)
    try:
        model = TinyTransformer(config)
        optimizer = _optimizer(model, settings)
        batches = SyntheticLanguage(vocab_size=config.vocab_size).train_windows(settings.batch_size,
                                                                                config.n_ctx + 1, 0)
        for i in range(steps + 1):
            if i == 1:
                start = time.perf_counter()
            for group in optimizer.param_groups:
                group["lr"] = settings.lr
            batch = torch.as_tensor(next(batches))
            loss = model(batch[:, :-1], batch[:, 1:])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss.item()
        return (time.perf_counter() - start) / steps
    finally:
        torch.set_num_threads(previous)


def estimate_seconds(preset: str | Preset, workers: int | None = None,
                     settings: TrainSettings = TrainSettings(), shard: Shard | str | None = None) -> float:
    """Wall-clock estimate of a sweep (or of one shard), from a few timed steps of each model shape.

    Each run costs (its steps + its evaluation, ``n_val_windows / batch_size`` forward passes
    at a third of a step each) × (measured seconds per step); the runs are dealt to
    ``workers`` workers longest first, as :func:`run_sweep` does, and each worker first
    computes the oracle of the validation windows (timed here once). The estimate is the time
    the busiest worker needs. Takes about a second per shape to measure. Measured against
    real sweeps by ``benchmarks/bench_lab.py --estimate``.
    """
    preset_ = _preset(preset)
    runs = shard_runs(preset_, shard, settings)
    workers = default_workers() if workers is None else workers
    per_step = {config: _step_seconds(config, settings) for config in {c for c, _, _ in runs}}
    evaluation = settings.n_val_windows / settings.batch_size / 3
    costs = sorted(((check_budget(c, t, settings) + evaluation) * per_step[c] for c, t, _ in runs), reverse=True)
    start = time.perf_counter()
    language = SyntheticLanguage(vocab_size=preset_.vocab_size)
    language.oracle_nll(language.validation_windows(settings.n_val_windows, preset_.n_ctx + 1))
    loads = [time.perf_counter() - start] * max(1, workers)
    for cost in costs:
        loads[loads.index(min(loads))] += cost
    return max(loads)


# ------------------------------------------------------------------ worker processes


@functools.lru_cache(maxsize=4)
def _language_and_validation(seed: int, vocab_size: int, n_windows: int, length: int):
    language = SyntheticLanguage(seed=seed, vocab_size=vocab_size)
    windows = language.validation_windows(n_windows, length)
    return language, (windows, language.oracle_nll(windows))


def _flops(job: tuple) -> float:
    config, tokens = job[1], job[2]
    return float(config.training_flops_per_token() * tokens)


def _stop_worker(signum, frame) -> None:
    # Leave through SystemExit so that multiprocessing runs this process's finalizers: the
    # semaphores tqdm creates here are released instead of reported as leaked.
    sys.exit(0)


def _worker(jobs: multiprocessing.Queue, messages: multiprocessing.Queue) -> None:
    """Train jobs until a ``None`` arrives; report progress, results and errors as messages."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C stops
    signal.signal(signal.SIGTERM, _stop_worker)
    keep_freed_memory()  # a step's activations reuse the last step's pages (course_utils.heap)
    while (item := jobs.get()) is not None:
        index, (language_seed, config, tokens, run_seed, settings, device) = item
        per_step = config.training_flops_per_token() * settings.batch_size * config.n_ctx
        try:
            language, validation = _language_and_validation(language_seed, config.vocab_size,
                                                            settings.n_val_windows, config.n_ctx + 1)
            report = train(config, language, tokens, run_seed, settings, device=device, threads=RUN_THREADS,
                           progress=False, validation=validation,
                           on_steps=lambda n: messages.put(("progress", index, n * per_step)))
            messages.put(("done", index, report.result))
        except Exception as exc:  # reported to the parent, which stops the sweep
            messages.put(("error", index, f"{type(exc).__name__}: {exc}"))


def _description(runs: int, workers: int, estimate: float | None) -> str:
    """The progress bar's label: what runs, and the time estimated before it started."""
    text = f"{runs} runs on {workers} worker{'s' if workers != 1 else ''}"
    return f"{text}, estimated {estimate:.0f} s" if estimate is not None else text


def _run_parallel(jobs: list[tuple], workers: int, keep, progress: bool, estimate: float | None = None) -> None:
    """Train ``jobs`` in ``workers`` processes, longest first; ``keep`` each result as it arrives.

    Raises RuntimeError when a run fails or a worker dies; the workers are always stopped.
    """
    from tqdm.auto import tqdm

    jobs = sorted(jobs, key=_flops, reverse=True)
    context = multiprocessing.get_context("spawn")  # fork after torch has run threads can hang
    queue_in, messages = context.Queue(), context.Queue()
    for item in enumerate(jobs):
        queue_in.put(item)
    processes = [context.Process(target=_worker, args=(queue_in, messages), daemon=True)
                 for _ in range(min(workers, len(jobs)))]
    for process in processes:
        queue_in.put(None)
        process.start()
    bar = tqdm(total=sum(map(_flops, jobs)), unit="FLOP", unit_scale=True, disable=not progress,
               desc=_description(len(jobs), len(processes), estimate))
    remaining = len(jobs)
    try:
        while remaining:
            try:
                kind, index, payload = messages.get(timeout=0.5)
            except queue.Empty:
                dead = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(
                        f"a training worker stopped with exit code {dead[0]} (its error is printed above); "
                        "the runs finished before it are kept. Code read from standard input cannot start "
                        "workers: use a file, or workers=1") from None
                continue
            if kind == "progress":
                bar.update(payload)
            elif kind == "error":
                config, tokens = jobs[index][1], jobs[index][2]
                raise RuntimeError(f"the run of L{config.n_layer} d{config.d_model} on {tokens:,} tokens "
                                   f"failed: {payload}")
            else:
                keep(payload)
                remaining -= 1
                bar.set_postfix(finished=len(jobs) - remaining, refresh=False)
    finally:
        bar.close()
        for process in processes:
            if not remaining:  # every job done: the workers are leaving on their own
                process.join(timeout=30)
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join()
        for channel in (queue_in, messages):
            channel.cancel_join_thread()  # jobs never taken are dropped, not waited for
            channel.close()


def _check_out(out: Path) -> None:
    if out.is_dir() or not out.parent.is_dir() or not os.access(out.parent, os.W_OK) \
            or (out.exists() and not os.access(out, os.W_OK)):
        raise ValueError(f"out must be a writable file path; got {str(out)!r}")


def shard_runs(preset: str | Preset, shard: Shard | str | None,
               settings: TrainSettings = TrainSettings()) -> list[tuple[ModelConfig, int, int]]:
    """The runs of ``preset`` that shard K/N trains: all of them when ``shard`` is None.

    Runs are dealt longest first (by counted training FLOPs) to the least-loaded shard,
    so the split depends on the preset alone and every shard costs about the same.
    """
    runs = _preset(preset).runs()
    shard = parse_shard(shard) if isinstance(shard, str) else shard
    if shard is None:
        return runs
    if not isinstance(shard, Shard):
        raise ValueError(f"shard must be 'K/N', 'auto', a Shard or None; got {shard!r}")
    costs = [check_budget(c, t, settings) * c.training_flops_per_token() for c, t, _ in runs]
    return shard.select_balanced(runs, costs)


def run_sweep(preset: str | Preset, out: str | os.PathLike, *, device: str = "cpu",
              workers: int | None = None, seed: int = 0, progress: bool = True,
              settings: TrainSettings = TrainSettings(), shard: Shard | str | None = None,
              estimate: float | None = None) -> list[RunResult]:
    """Run every configuration of ``preset`` not yet in ``out``; return the runs finished now.

    Parameters
    ----------
    preset : str or Preset
        ``"quick"``, ``"course"`` or a :class:`Preset`.
    out : path
        Results CSV; each finished run is appended at once, runs already there are skipped.
    device : str
        ``"cpu"`` (default) or e.g. ``"cuda"``.
    workers : int, optional
        Processes training runs side by side, one thread each (default
        :func:`default_workers`: 2 on a CPU with two or more cores). With 1, runs train
        in this process, one after the other, each with its own progress bar.
    seed : int
        Seed of the synthetic language (the runs' own seeds come from the preset).
    progress : bool
        Show a progress bar (a widget in JupyterLab): FLOPs trained, time so far and left.
    estimate : float, optional
        Seconds the sweep was estimated to take (:func:`estimate_seconds`), shown in the
        progress bar's label beside the time so far.
    shard : "K/N", "auto", Shard or None
        Train only the K-th of N parts of the preset (:func:`shard_runs`); ``"auto"``
        reads K and N from a Slurm array or a Kubernetes Indexed Job.

    Raises
    ------
    ValueError
        Before any training, for an unknown preset, a budget below one batch, a bad
        worker count or shard, or a results path that cannot be written.
    course_utils.results.ResultsLocked
        Another process is writing ``out``; nothing is trained.
    KeyboardInterrupt
        After Ctrl-C, once the workers have stopped; every finished run is in ``out``.
    """
    preset = _preset(preset)
    plan(preset, settings)
    runs = shard_runs(preset, shard, settings)
    workers = default_workers(device) if workers is None else workers
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer; got {workers!r}")
    out = Path(out)
    _check_out(out)
    language, validation = _language_and_validation(seed, preset.vocab_size, settings.n_val_windows,
                                                    preset.n_ctx + 1)
    finished: list[RunResult] = []

    def keep(result: RunResult) -> None:
        append_result(out, result)
        finished.append(result)

    with lock_results(out, purpose=f"lab sweep --preset {preset.name}" + (f" --shard {shard}" if shard else "")):
        done = {r.run_id for r in read_results(out)}
        jobs = [(seed, config, tokens, run_seed, settings, device) for config, tokens, run_seed in runs
                if run_id(language, config, tokens, run_seed, settings) not in done]
        try:
            if workers == 1 or len(jobs) <= 1:
                for _, config, tokens, run_seed, _, _ in jobs:
                    keep(train(config, language, tokens, run_seed, settings, device=device, threads=RUN_THREADS,
                               progress=progress, validation=validation).result)
            else:
                _run_parallel(jobs, workers, keep, progress, estimate)
        except KeyboardInterrupt:
            print(f"interrupted: {len(finished)} finished run(s) kept in {out}", file=sys.stderr)
            raise
    return finished
