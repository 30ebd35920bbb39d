"""Training throughput of the scaling lab as a fraction of this CPU's fp32 matmul peak.

Run: python benchmarks/bench_lab.py [threads]
     python benchmarks/bench_lab.py --estimate [preset]   (default preset: quick)

Prints, measured side by side in one run, for models of ~100k, ~300k and ~1M
non-embedding parameters:

* the fp32 matmul peak with ``threads`` threads (2048² matrices) just before each model;
* the training throughput of one process using ``threads`` threads, as 6·N·tokens/s over
  that peak (the issue's reference, a plain implementation: 0.28, 0.42 and 0.47 on 2 cores);
* the throughput of ``threads`` single-thread worker processes training side by side, as
  the sweep runs them, over the same peak, and its ratio to the one-process figure.

Shared machines make the absolute numbers noisy; the fractions and ratios are the point.

``--estimate`` checks ``lab sweep --dry-run`` against a real sweep, side by side in one run:
the estimate (:func:`course_utils.lab.estimate_seconds`, a few timed steps per shape), then
the sweep itself into a temporary file, its wall time and its CPU time per core (the CPU
time of the sweep's worker processes divided by the workers: what the wall time would be on
idle cores), and the ratio of the estimate to each.
"""

import multiprocessing
import sys
import time

import torch

from course_utils.lab.model import ModelConfig, TinyTransformer
from course_utils.lab.train import TrainSettings, _optimizer

SHAPES = [(2, 64), (3, 96), (5, 128)]  # ~100k, ~335k, ~990k non-embedding parameters
SETTINGS = TrainSettings()  # the batch size the sweep trains with


def matmul_peak(n: int = 2048, reps: int = 8) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n**3 * reps / (time.perf_counter() - start)


def train_throughput(config: ModelConfig, steps: int = 20, barrier=None) -> float:
    """Tokens per second of the sweep's training step (after three warm-up steps)."""
    model = TinyTransformer(config)
    optimizer = _optimizer(model, SETTINGS)
    x = torch.randint(0, config.vocab_size, (SETTINGS.batch_size, config.n_ctx + 1))

    def step():
        loss = model(x[:, :-1], x[:, 1:])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    if barrier is not None:
        barrier.wait()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * SETTINGS.batch_size * config.n_ctx / (time.perf_counter() - start)


_BARRIER = None


def _init(barrier) -> None:
    global _BARRIER
    _BARRIER = barrier
    torch.set_num_threads(1)


def _one_worker(config: ModelConfig) -> float:
    return train_throughput(config, barrier=_BARRIER)


def workers_throughput(config: ModelConfig, workers: int) -> float:
    """Summed tokens/s of ``workers`` single-thread processes started together."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(workers)
    with context.Pool(workers, initializer=_init, initargs=(barrier,)) as pool:
        return sum(pool.map(_one_worker, [config] * workers))


def main(threads: int = 2) -> None:
    torch.set_num_threads(threads)
    print(f"{'N (non-emb.)':>12} {'peak GFLOP/s':>12} {'1 process':>10} {f'{threads} workers':>10} {'ratio':>6}")
    for n_layer, d_model in SHAPES:
        config = ModelConfig(n_layer, d_model)
        six_n = 6 * config.params_non_embedding
        peak = matmul_peak()
        one = six_n * train_throughput(config) / peak
        many = six_n * workers_throughput(config, threads) / peak
        print(f"{config.params_non_embedding:12,d} {peak / 1e9:12.1f} {one:10.2f} {many:10.2f} {many / one:6.2f}")
    print("columns 3-4: 6·N·tokens/s as a fraction of the matmul peak; ratio: workers over one process")


def check_estimate(preset: str = "quick") -> None:
    import os
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
    if len(sys.argv) > 1 and sys.argv[1] == "--estimate":
        check_estimate(sys.argv[2] if len(sys.argv) > 2 else "quick")
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
