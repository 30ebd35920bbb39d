"""Training throughput of the scaling lab as a fraction of this CPU's fp32 matmul peak.

Run: python benchmarks/bench_lab.py [threads]
Prints, measured side by side in one run, the peak (2048² matmuls) and 6·N·tokens/s for
models of ~100k, ~300k and ~1M non-embedding parameters. Shared machines make the absolute
numbers noisy; the fractions are the point.
"""

import sys
import time

import torch

from course_utils.lab.model import ModelConfig, TinyTransformer
from course_utils.lab.train import TrainSettings, _optimizer

SHAPES = [(2, 64), (3, 96), (5, 128)]  # ~100k, ~335k, ~990k non-embedding parameters


def matmul_peak(n: int = 2048, reps: int = 8) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n**3 * reps / (time.perf_counter() - start)


def train_throughput(config: ModelConfig, batch_size: int = 32, steps: int = 20) -> float:
    model = TinyTransformer(config)
    optimizer = _optimizer(model, TrainSettings())
    x = torch.randint(0, config.vocab_size, (batch_size, config.n_ctx + 1))

    def step():
        loss = model(x[:, :-1], x[:, 1:])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch_size * config.n_ctx / (time.perf_counter() - start)


def main(threads: int = 2) -> None:
    torch.set_num_threads(threads)
    for n_layer, d_model in SHAPES:
        config = ModelConfig(n_layer, d_model)
        peak = matmul_peak()
        tokens_per_s = train_throughput(config)
        fraction = 6 * config.params_non_embedding * tokens_per_s / peak
        print(f"N={config.params_non_embedding:>9,}  {tokens_per_s:8.0f} tok/s  peak {peak / 1e9:6.1f} GFLOP/s  "
              f"6N fraction of peak {fraction:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
