"""The scaling lab: train tiny transformers on a CPU and watch a scaling law appear.

Public API
----------
SyntheticLanguage(seed=0, vocab_size=64, ...)
    A unifilar word language; ``entropy_rate()`` (exact, nats/token),
    ``oracle_loss(windows)`` / ``oracle_nll(windows)`` (the source's own NLL given only
    the tokens of each window), ``sample(n_streams, length, seed)``, ``decode(tokens)``.
PydocCorpus()
    Character-level text of the standard library's ``pydoc_data.topics``, fixed 90/10 split,
    ``data_hash()`` recorded with results.
ModelConfig(n_layer, d_model, n_ctx=64, vocab_size=64), TinyTransformer(config)
    Exact ``params_total``/``params_non_embedding``; FLOPs per token as 6N and counted.
train(config, corpus, tokens, seed=0, settings=TrainSettings(), device="cpu")
    -> TrainReport (``.result`` is a :class:`course_utils.results.RunResult`).
run_sweep(preset, out, device="cpu", workers=None), PRESETS, plan(preset), estimate_seconds(preset)
    Sweeps that append each finished run to ``out`` and resume by run id; two single-thread
    worker processes on a CPU with two or more cores.

CLI: ``python -m course_utils lab sweep --preset quick --out results.csv [--dry-run] [--workers N] [--device cpu]``
"""

from __future__ import annotations

import argparse

from course_utils.lab.language import SyntheticLanguage
from course_utils.lab.model import ModelConfig, TinyTransformer
from course_utils.lab.presets import PRESETS, Preset
from course_utils.lab.sweep import default_workers, estimate_seconds, plan, run_sweep
from course_utils.lab.text import PydocCorpus
from course_utils.lab.train import TrainReport, TrainSettings, train

__all__ = ["SyntheticLanguage", "PydocCorpus", "ModelConfig", "TinyTransformer", "TrainSettings",
           "TrainReport", "train", "run_sweep", "plan", "estimate_seconds", "default_workers", "PRESETS", "Preset",
           "add_arguments", "run_command"]


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["sweep"], help="what to do")
    parser.add_argument("--preset", default="quick", choices=sorted(PRESETS))
    parser.add_argument("--out", default="results.csv", help="results CSV (appended, resumable)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the plan's FLOPs and estimated time (a few timed steps), then stop")
    parser.add_argument("--device", default="cpu", help="'cpu' (default) or e.g. 'cuda'")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes training side by side, one thread each (default: 2 on 2+ CPU cores)")


def run_command(command: str, args: argparse.Namespace) -> int:
    summary = plan(args.preset)
    print(f"preset {args.preset}: {summary['runs']} runs, {summary['flops_6nd']:.3g} FLOP as 6ND, "
          f"{summary['flops_counted']:.3g} FLOP counted")
    if args.dry_run:
        workers = default_workers(args.device) if args.workers is None else args.workers
        if args.device == "cpu":
            seconds = estimate_seconds(args.preset, workers)
            print(f"estimated time on this machine with {workers} worker(s): {seconds / 60:.1f} minutes")
        return 0
    done = run_sweep(args.preset, args.out, device=args.device, workers=args.workers)
    print(f"{len(done)} run(s) written to {args.out}")
    return 0
