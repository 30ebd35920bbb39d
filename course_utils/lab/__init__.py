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
run_sweep(preset, out, device="cpu", workers=None, shard=None), PRESETS, plan(preset), estimate_seconds(preset)
    Sweeps that append each finished run to ``out`` and resume by run id; two single-thread
    worker processes on a CPU with two or more cores; one writer per results file (a lock);
    ``shard="K/N"`` or ``"auto"`` trains one part (:func:`.sweep.shard_runs`, :mod:`course_utils.sharding`).
course_utils.lab.query.SweepQueries(flop_budget, runs=None, max_run_flops=None)
    A sweep served one configuration at a time, each charged its 6ND (exercise 3's prediction task).
course_utils.lab.figures
    The lab's figures for lessons 03 and 04 (frontier, IsoFLOP profiles, L(D), the window floor).

CLI: ``python -m course_utils lab sweep --preset quick --out results.csv [--shard K/N|auto] [--dry-run]
[--workers N] [--device cpu]`` and ``python -m course_utils lab merge OUT FILE... [--preset P]``.
Exit status 0 when done, 1 when the results file is held by another sweep (or a merge
conflicts), 2 for a bad argument, 130 after Ctrl-C.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import types
from typing import Any

from course_utils.lab.language import SyntheticLanguage
from course_utils.lab.text import PydocCorpus

__all__ = ["SyntheticLanguage", "PydocCorpus", "ModelConfig", "TinyTransformer", "TrainSettings",
           "TrainReport", "train", "run_sweep", "plan", "estimate_seconds", "default_workers", "shard_runs", "PRESETS",
           "Preset",
           "add_arguments", "run_command"]

#: the names that need PyTorch, and their modules: imported on first use, so that the
#: language, the text and ``course_utils.lab.query`` (which the grader loads) stay free of it
_WITH_TORCH = {"ModelConfig": "model", "TinyTransformer": "model", "PRESETS": "presets", "Preset": "presets",
               "default_workers": "sweep", "estimate_seconds": "sweep", "plan": "sweep", "run_sweep": "sweep",
               "shard_runs": "sweep", "TrainReport": "train", "TrainSettings": "train", "train": "train"}


def __getattr__(name: str) -> Any:
    if name not in _WITH_TORCH:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WITH_TORCH[name]}"), name)
    setattr(sys.modules[__name__], name, value)
    return value


class _Package(types.ModuleType):
    """``course_utils.lab.train`` is the function: importing the submodule of that name binds
    the module here, which would hide the function it holds."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "train" and isinstance(value, types.ModuleType):
            value = value.train
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    """``lab sweep`` and ``lab merge``, each a subcommand with its own options and example."""
    from course_utils.commandline import HelpFormatter, example_epilog
    from course_utils.lab.presets import PRESETS

    actions = parser.add_subparsers(dest="action", required=True, metavar="{sweep,merge}")
    sweep = actions.add_parser(
        "sweep", help="train a preset sweep (or one shard of it)", formatter_class=HelpFormatter,
        description="Train every run of a preset, two single-thread workers on 2+ CPU cores, appending each "
                    "finished run to --out; a second run resumes where the first stopped.",
        epilog=example_epilog("lab sweep --preset quick --out my_results.csv",
                              "lab sweep --preset course --dry-run"))
    sweep.add_argument("--preset", default="quick", choices=sorted(PRESETS), help="the sweep to train")
    sweep.add_argument("--out", default="results.csv", help="results CSV (appended, resumable)")
    sweep.add_argument("--shard", default=None, metavar="K/N|auto",
                       help="train the K-th of N parts of the preset (auto: from a Slurm array or a "
                            "Kubernetes Indexed Job); each part writes its own --out")
    sweep.add_argument("--dry-run", action="store_true",
                       help="print the plan's FLOPs and estimated time (a few timed steps), then stop")
    sweep.add_argument("--device", default="cpu", help="'cpu' or e.g. 'cuda'")
    sweep.add_argument("--workers", type=int, default=None,
                       help="processes training side by side, one thread each (default: 2 on 2+ CPU cores)")
    merge = actions.add_parser(
        "merge", help="join the results files of a sharded sweep by run id", formatter_class=HelpFormatter,
        description="Merge results files into OUT (kept runs are never lost; the same run twice with "
                    "different results is an error).",
        epilog=example_epilog("lab merge results.csv shard_1.csv shard_2.csv --preset course"))
    merge.add_argument("out", metavar="OUT", help="the merged results file (created or extended)")
    merge.add_argument("sources", nargs="+", metavar="FILE", help="results files of the shards")
    merge.add_argument("--preset", default=None, choices=sorted(PRESETS),
                       help="check that every merged run belongs to this preset and say what is missing")


def _merge(args: argparse.Namespace) -> int:
    from pathlib import Path

    from course_utils.results import ResultsLocked, lock_results, merge_results, read_results, write_results

    out, sources = Path(args.out), [Path(p) for p in args.sources]
    missing = [str(p) for p in sources if not p.is_file()]
    if missing:
        print(f"error: no such results file(s): {', '.join(missing)} (a shard that has not run yet?)", file=sys.stderr)
        return 2
    try:
        with lock_results(out, purpose="lab merge"):
            merged = merge_results([read_results(out)] + [read_results(p) for p in sources])
            if args.preset is not None:
                expected = _preset_run_ids(args.preset)
                extra = sorted({r.run_id for r in merged} - expected)
                if extra:
                    print(f"error: {len(extra)} run(s) are not in preset {args.preset}, e.g. {extra[0]}",
                          file=sys.stderr)
                    return 1
            write_results(out, merged)
    except ResultsLocked as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{len(merged)} run(s) from {len(sources)} file(s) merged into {out}")
    if args.preset is not None:
        absent = len(expected) - len(merged)
        print(f"preset {args.preset}: " + ("complete" if absent == 0 else f"{absent} run(s) still missing "
                                           "(rerun the shard(s) that stopped; they resume)"))
    return 0


def _preset_run_ids(name: str) -> set[str]:
    from course_utils.lab.presets import PRESETS
    from course_utils.lab.train import TrainSettings, run_id

    preset = PRESETS[name]
    language = SyntheticLanguage(seed=0, vocab_size=preset.vocab_size)
    return {run_id(language, c, t, s, TrainSettings()) for c, t, s in preset.runs()}


def run_command(command: str, args: argparse.Namespace) -> int:
    from course_utils.lab.sweep import default_workers, estimate_seconds, plan, run_sweep, shard_runs
    from course_utils.results import ResultsLocked
    from course_utils.sharding import ShardError, parse_shard

    if args.action == "merge":
        return _merge(args)
    preset = args.preset
    try:
        shard = parse_shard(args.shard)
    except ShardError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    summary = plan(preset)
    part = f", shard {shard}: {len(shard_runs(preset, shard))} of them" if shard else ""
    print(f"preset {preset}: {summary['runs']} runs{part}; {summary['flops_6nd']:.3g} FLOP as 6ND, "
          f"{summary['flops_counted']:.3g} FLOP counted")
    if args.dry_run:
        workers = default_workers(args.device) if args.workers is None else args.workers
        if args.device == "cpu":
            seconds = estimate_seconds(preset, workers, shard=shard)
            print(f"estimated time on this machine with {workers} worker(s): {seconds / 60:.1f} minutes")
        return 0
    try:
        done = run_sweep(preset, args.out, device=args.device, workers=args.workers, shard=shard)
    except KeyboardInterrupt:
        return 130
    except ResultsLocked as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{len(done)} run(s) written to {args.out}")
    return 0
