"""Sweeps at scale: shards (course_utils.sharding), one writer per results file, merging, Ctrl-C.

The sharded sweeps use the ``smoke`` preset (8 runs of a few hundred steps in total), so
that running it four times, as a 4-task array job would, takes seconds.
"""

import dataclasses
import os
import signal
import subprocess
import sys
import time

import pytest

from course_utils.lab import PRESETS, run_sweep, shard_runs
from course_utils.results import (FIELDS, ResultsLocked, append_result, lock_results, merge_results,
                                  read_results)
from course_utils.sharding import Shard, ShardError, key_shard, parse_shard, shard_from_environment

SMOKE = PRESETS["smoke"]


def _cli(*args, env=None, timeout=120):
    """Run ``python -m course_utils lab ...`` in a fresh process, as a cluster job would."""
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("SLURM_", "JOB_COMPLETION_INDEX", "COURSE_SHARD_COUNT"))}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "course_utils", "lab", *args], capture_output=True, text=True,
                          env=environment, timeout=timeout)


def _without_timing(runs):
    return {r.run_id: dataclasses.replace(r, seconds=0.0) for r in runs}


# ------------------------------------------------------------------ shard specifications


def test_an_explicit_shard_is_parsed():
    assert parse_shard("2/4") == Shard(2, 4) and str(parse_shard(" 3 / 8 ")) == "3/8"
    assert parse_shard(None) is None


@pytest.mark.parametrize("spec", ["0/4", "5/4", "2-4", "a/b", "2/0", "", "auto/2"])
def test_a_bad_shard_is_rejected_with_the_expected_form(spec):
    with pytest.raises(ShardError, match="K"):
        parse_shard(spec, environ={})


def test_a_slurm_array_task_is_its_offset_from_the_lowest_index_plus_one():
    """--array=3-6: task 5 is the third of four (K = 5 − 3 + 1)."""
    environ = {"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_COUNT": "4"}
    assert parse_shard("auto", environ) == Shard(3, 4)


def test_a_slurm_array_with_a_step_counts_in_steps():
    """--array=1-7:2 runs tasks 1, 3, 5, 7: task 7 is the fourth of four."""
    environ = {"SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "4",
               "SLURM_ARRAY_TASK_STEP": "2"}
    assert shard_from_environment(environ) == Shard(4, 4)


def test_a_kubernetes_indexed_job_counts_from_zero_and_needs_the_count():
    assert parse_shard("auto", {"JOB_COMPLETION_INDEX": "0", "COURSE_SHARD_COUNT": "4"}) == Shard(1, 4)
    with pytest.raises(ShardError, match="COURSE_SHARD_COUNT"):
        parse_shard("auto", {"JOB_COMPLETION_INDEX": "0"})
    with pytest.raises(ShardError, match="outside"):
        parse_shard("auto", {"JOB_COMPLETION_INDEX": "4", "COURSE_SHARD_COUNT": "4"})


def test_auto_without_a_cluster_engine_fails_naming_both_engines():
    with pytest.raises(ShardError, match="Slurm.*Kubernetes"):
        parse_shard("auto", {})


def test_a_key_always_lands_on_the_same_shard():
    """1 + (first 8 bytes of SHA-256("ada"), big-endian) mod 7, computed once with hashlib: 6."""
    assert key_shard("ada", 7) == 6
    assert Shard(6, 7).owns("ada") and not Shard(2, 7).owns("ada")


def test_shards_of_a_preset_are_disjoint_complete_and_balanced():
    runs = PRESETS["course"].runs()
    parts = [shard_runs("course", Shard(k, 4)) for k in range(1, 5)]
    ids = [(c, t, s) for part in parts for c, t, s in part]
    assert sorted(ids, key=str) == sorted(runs, key=str) and len(ids) == len(set(ids))
    work = [sum(c.training_flops_per_token() * t for c, t, _ in part) for part in parts]
    assert max(work) < 1.2 * min(work)


# ------------------------------------------------------------------ sharded sweeps


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_four_shards_merged_equal_the_unsharded_sweep(tmp_path):
    """Four processes, one shard each (as a 4-task array job), then `lab merge`: the same runs
    with the same losses, bit for bit, as one unsharded sweep (timings aside)."""
    shards = [subprocess.Popen([sys.executable, "-m", "course_utils", "lab", "sweep", "--preset", "smoke",
                                "--shard", f"{k}/4", "--workers", "1", "--out", str(tmp_path / f"part{k}.csv")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(1, 5)]
    for process in shards:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    merged = _cli("merge", str(tmp_path / "merged.csv"), *(str(tmp_path / f"part{k}.csv") for k in range(1, 5)),
                  "--preset", "smoke")
    assert merged.returncode == 0 and "complete" in merged.stdout, merged.stderr
    whole = run_sweep("smoke", tmp_path / "whole.csv", workers=2, progress=False)
    assert len(whole) == len(SMOKE.runs())
    assert _without_timing(read_results(tmp_path / "merged.csv")) == _without_timing(whole)


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("engine", ["slurm", "kubernetes"])
def test_shard_auto_reads_the_cluster_engines_variables(tmp_path, engine):
    """Slurm task 12 of --array=10-13 and Kubernetes index 2 of 4 are both shard 3/4."""
    env = ({"SLURM_ARRAY_TASK_ID": "12", "SLURM_ARRAY_TASK_MIN": "10", "SLURM_ARRAY_TASK_COUNT": "4"}
           if engine == "slurm" else {"JOB_COMPLETION_INDEX": "2", "COURSE_SHARD_COUNT": "4"})
    out = tmp_path / "part.csv"
    done = _cli("sweep", "--preset", "smoke", "--shard", "auto", "--workers", "1", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert "shard 3/4" in done.stdout
    expected = {(c.n_layer, c.d_model, t, s) for c, t, s in shard_runs("smoke", Shard(3, 4))}
    assert {(r.n_layer, r.d_model, r.tokens, r.seed) for r in read_results(out)} == expected


@pytest.mark.timeout(60)
def test_shard_auto_outside_a_cluster_exits_2_and_says_what_to_set(tmp_path):
    done = _cli("sweep", "--preset", "smoke", "--shard", "auto", "--out", str(tmp_path / "x.csv"))
    assert done.returncode == 2 and "SLURM_ARRAY_TASK_ID" in done.stderr and "JOB_COMPLETION_INDEX" in done.stderr
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_a_shard_resumes_where_it_stopped(tmp_path):
    out = tmp_path / "part.csv"
    mine = shard_runs("smoke", Shard(1, 2))
    first = run_sweep("smoke", out, workers=1, progress=False, shard="1/2")
    rows = read_results(out)
    out.write_text("".join(out.read_text().splitlines(keepends=True)[:-1]))  # lose the last run
    again = run_sweep("smoke", out, workers=1, progress=False, shard="1/2")
    assert len(first) == len(mine) and len(again) == 1
    assert sorted(r.run_id for r in read_results(out)) == sorted(r.run_id for r in rows)


# ------------------------------------------------------------------ one writer per file


def test_a_second_writer_is_refused_and_told_who_holds_the_file(tmp_path):
    out = tmp_path / "results.csv"
    with lock_results(out, purpose="a test"):
        with pytest.raises(ResultsLocked, match=rf"process {os.getpid()}"):
            with lock_results(out):
                pass
    with lock_results(out):  # released: the next writer gets it
        pass
    assert not (tmp_path / ".results.csv.owner").exists()


@pytest.mark.timeout(120)
def test_a_sweep_on_a_file_another_process_writes_exits_1_and_trains_nothing(tmp_path):
    out = tmp_path / "results.csv"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\n"
                               "from course_utils.results import lock_results\n"
                               f"with lock_results({str(out)!r}, purpose='a test'):\n"
                               "    print('locked', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        done = _cli("sweep", "--preset", "smoke", "--workers", "1", "--out", str(out))
        assert done.returncode == 1 and f"process {holder.pid}" in done.stderr
        assert read_results(out) == []
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_ctrl_c_exits_130_keeps_the_file_and_leaks_nothing(tmp_path):
    """SIGINT to the whole process group, as a terminal sends it, while two workers train."""
    out = tmp_path / "results.csv"
    process = subprocess.Popen([sys.executable, "-m", "course_utils", "lab", "sweep", "--preset", "quick",
                                "--workers", "2", "--out", str(out)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (tmp_path / ".results.csv.owner").exists():
        time.sleep(0.2)
    time.sleep(4)  # the workers have started training
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted" in err and "leaked" not in err and "Traceback" not in err
    assert all(r.run_id for r in read_results(out))


# ------------------------------------------------------------------ merging


def _row(run_id="r1", loss=1.0, seconds=1.0):
    values = {name: 0 for name in FIELDS}
    values.update(run_id=run_id, corpus="synthetic", loss=loss, seconds=seconds, data_hash="h",
                  flops_6nd=1.0, flops_counted=1.0, train_loss=1.0, oracle_loss=0.5)
    from course_utils.results import RunResult
    return RunResult(**values)


def test_merge_keeps_one_row_per_run_whatever_its_timing():
    merged = merge_results([[_row("a"), _row("b")], [_row("a", seconds=9.0)]])
    assert [r.run_id for r in merged] == ["a", "b"]


def test_merge_refuses_two_different_results_for_one_run():
    with pytest.raises(ValueError, match="r1.*loss 1.0 vs 1.5"):
        merge_results([[_row(loss=1.0)], [_row(loss=1.5)]])


def test_lab_merge_of_conflicting_files_exits_1_and_writes_nothing(tmp_path):
    for name, loss in (("a.csv", 1.0), ("b.csv", 1.5)):
        append_result(tmp_path / name, _row(loss=loss))
    done = _cli("merge", str(tmp_path / "out.csv"), str(tmp_path / "a.csv"), str(tmp_path / "b.csv"))
    assert done.returncode == 1 and "different results" in done.stderr
    assert read_results(tmp_path / "out.csv") == []


def test_lab_merge_names_a_missing_shard_file(tmp_path):
    append_result(tmp_path / "a.csv", _row())
    done = _cli("merge", str(tmp_path / "out.csv"), str(tmp_path / "a.csv"), str(tmp_path / "part2.csv"))
    assert done.returncode == 2 and "part2.csv" in done.stderr
