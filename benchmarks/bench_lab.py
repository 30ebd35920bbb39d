"""Training throughput of the scaling lab as a fraction of this CPU's fp32 matmul peak.

Run: python benchmarks/bench_lab.py [threads] [--repeats 3]
     python benchmarks/bench_lab.py --estimate [preset]   (default preset: quick)

Prints, measured side by side in one run, for models of ~100k, ~300k and ~1M
non-embedding parameters, ``--repeats`` rounds of:

* the fp32 matmul peak with ``threads`` threads (2048² matrices) just before each model;
* the training throughput of one process using ``threads`` threads (timed over two seconds
  of steps), as 6·N·tokens/s over that peak (the issue's reference, a plain
  implementation: 0.28, 0.42 and 0.47 on 2 cores);
* the throughput of ``threads`` single-thread worker processes training side by side, as
  the sweep runs them (``course_utils.heap`` set as the sweep's workers set it), over the
  same round's peak, and its ratio to the one-process figure.

Each figure is the median of the rounds, with the spread (lowest–highest) beside it: a
shared machine makes single figures noisy, and the peak and the throughputs of one round
see the same load. The targets of issue 24 for the workers' median: 0.5, 0.65 and 0.75.
Correctness check: each model has exactly the parameters its ``ModelConfig`` counts, and
every timed step's loss is finite.

``--estimate`` checks ``lab sweep --dry-run`` against a real sweep, side by side in one run:
the estimate (:func:`course_utils.lab.estimate_seconds`, a few timed steps per shape), then
the sweep itself into a temporary file, its wall time and its CPU time per core (the CPU
time of the sweep's worker processes divided by the workers: what the wall time would be on
idle cores), and the ratio of the estimate to each.
"""

import argparse
import math
import multiprocessing
import os
import statistics
import time

import torch

from course_utils.heap import keep_freed_memory
from course_utils.lab.model import ModelConfig, TinyTransformer
from course_utils.lab.train import TrainSettings, _optimizer

SHAPES = [(2, 64), (3, 96), (5, 128)]  # ~100k, ~335k, ~990k non-embedding parameters
SETTINGS = TrainSettings()  # the batch size the sweep trains with
TARGETS = (0.5, 0.65, 0.75)  # issue 24: the workers' median fraction of the peak, per shape


def matmul_peak(n: int = 2048, reps: int = 8) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n**3 * reps / (time.perf_counter() - start)


def train_throughput(config: ModelConfig, seconds: float = 2.0, barrier=None) -> float:
    """Tokens per second of the sweep's training step over at least ``seconds`` (and ten
    steps), after three warm-up steps. A fixed 20 steps (a third of a second at 100k
    parameters) spread the workers' figure over 0.28-0.54 within one run; two seconds keep
    it within a few hundredths.

    Raises AssertionError when the model's parameters are not those its config counts, or a
    step's loss is not finite (the correctness check)."""
    model = TinyTransformer(config)
    assert sum(p.numel() for p in model.parameters()) == config.params_total, "the model is not the one counted"
    optimizer = _optimizer(model, SETTINGS)
    x = torch.randint(0, config.vocab_size, (SETTINGS.batch_size, config.n_ctx + 1))
    losses = []

    def step():
        loss = model(x[:, :-1], x[:, 1:])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.detach())

    for _ in range(3):
        step()
    if barrier is not None:
        barrier.wait()
    start, steps = time.perf_counter(), 0
    while steps < 10 or time.perf_counter() - start < seconds:
        step()
        steps += 1
    elapsed = time.perf_counter() - start
    assert all(math.isfinite(float(loss)) for loss in losses), "a training step's loss is not finite"
    return steps * SETTINGS.batch_size * config.n_ctx / elapsed


_BARRIER = None


def _init(barrier) -> None:
    global _BARRIER
    _BARRIER = barrier
    torch.set_num_threads(1)
    keep_freed_memory()  # as the sweep's workers do


def _one_worker(config: ModelConfig) -> float:
    return train_throughput(config, barrier=_BARRIER)


def workers_throughput(config: ModelConfig, workers: int) -> float:
    """Summed tokens/s of ``workers`` single-thread processes started together."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(workers)
    with context.Pool(workers, initializer=_init, initargs=(barrier,)) as pool:
        return sum(pool.map(_one_worker, [config] * workers))


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main(threads: int = 2, repeats: int = 3) -> None:
    torch.set_num_threads(threads)
    keep_freed_memory()
    print(f"{repeats} rounds per model, medians (lowest-highest); load average {os.getloadavg()[0]:.1f}")
    print(f"{'N (non-emb.)':>12} {'peak GFLOP/s':>14} {'1 process':>16} {f'{threads} workers':>16} {'ratio':>6} "
          f"{'target':>7}")
    for (n_layer, d_model), target in zip(SHAPES, TARGETS):
        config = ModelConfig(n_layer, d_model)
        six_n = 6 * config.params_non_embedding
        peaks, ones, manys = [], [], []
        for _ in range(repeats):
            peaks.append(matmul_peak())
            ones.append(six_n * train_throughput(config) / peaks[-1])
            manys.append(six_n * workers_throughput(config, threads) / peaks[-1])
        met = "met" if statistics.median(manys) >= target else "NOT met"
        print(f"{config.params_non_embedding:12,d} {statistics.median(peaks) / 1e9:14.1f} {_spread(ones):>16} "
              f"{_spread(manys):>16} {statistics.median(manys) / statistics.median(ones):6.2f} "
              f"{target:5.2f} {met}")
    print("columns 3-4: 6·N·tokens/s as a fraction of the matmul peak; ratio: workers over one process; "
          f"load average after: {os.getloadavg()[0]:.1f}")


def check_estimate(preset: str = "quick") -> None:
    import resource
    import tempfile

    from course_utils.lab import default_workers, estimate_seconds, run_sweep

    workers = default_workers()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, cpus: {os.cpu_count()}")
    estimate = estimate_seconds(preset, workers)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        run_sweep(preset, os.path.join(folder, "results.csv"), workers=workers, progress=False)
        wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / workers
    print(f"preset {preset}, {workers} workers: estimate {estimate:.1f} s, wall {wall:.1f} s, "
          f"CPU {cpu * workers:.1f} s in all, {cpu:.1f} s per worker (the wall time on idle cores); "
          f"estimate/wall {estimate / wall:.2f}, estimate/CPU {estimate / cpu:.2f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("threads", nargs="?", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="rounds per model (medians are printed)")
    parser.add_argument("--estimate", nargs="?", const="quick", metavar="PRESET",
                        help="check lab sweep --dry-run against a real sweep of PRESET (default quick)")
    args = parser.parse_args()
    if args.estimate:
        check_estimate(args.estimate)
    else:
        main(args.threads, args.repeats)
