"""The one results schema for training runs (course_utils.results)."""

from __future__ import annotations

import dataclasses

import pytest

from course_utils.results import (FIELDS, RunResult, append_result, as_arrays, mean_over_seeds, read_results,
                                   write_results)


def _run(run_id: str = "r1", loss: float = 3.25) -> RunResult:
    return RunResult(run_id=run_id, corpus="synthetic", n_layer=2, d_model=64, n_head=2, n_ctx=64,
                     vocab_size=128, params_total=115_000, params_non_embedding=98_304, tokens=1_000_000,
                     flops_6nd=6 * 98_304 * 1_000_000, flops_counted=1.2e12, loss=loss, train_loss=3.3,
                     oracle_loss=3.0, seed=0, seconds=12.5, data_hash="abc123")


def test_schema_records_both_parameter_counts_and_both_flop_counts():
    assert {"params_total", "params_non_embedding", "flops_6nd", "flops_counted", "tokens", "loss"} <= set(FIELDS)


def test_appended_runs_read_back_identically(tmp_path):
    path = tmp_path / "results.csv"
    runs = [_run("a", 3.5), _run("b", 3.25)]
    for run in runs:
        append_result(path, run)
    assert read_results(path) == runs


def test_a_row_cut_short_by_a_crash_is_ignored(tmp_path):
    path = tmp_path / "results.csv"
    append_result(path, _run("a"))
    with open(path, "a") as handle:
        handle.write("b,synthetic,2,64")  # no newline: the process died mid-write
    assert [r.run_id for r in read_results(path)] == ["a"]


def test_a_missing_file_reads_as_no_runs(tmp_path):
    assert read_results(tmp_path / "absent.csv") == []


def test_a_file_with_another_header_is_rejected_with_the_expected_columns(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("model,loss\nx,1.0\n")
    with pytest.raises(ValueError, match="results schema"):
        read_results(path)


def test_write_results_replaces_the_file_atomically(tmp_path):
    path = tmp_path / "results.csv"
    append_result(path, _run("old"))
    write_results(path, [_run("new")])
    assert [r.run_id for r in read_results(path)] == ["new"]
    assert not list(tmp_path.glob(".*tmp"))


def test_as_arrays_gives_one_numpy_column_per_field():
    columns = as_arrays([_run("a", 3.5), _run("b", 3.25)])
    assert list(columns) == list(FIELDS)
    assert columns["loss"].tolist() == [3.5, 3.25]
    assert columns["params_total"].dtype.kind == "i"


def test_results_are_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        _run().loss = 0.0  # type: ignore[misc]


def test_mean_over_seeds_averages_the_seeds_of_each_configuration():
    """Two seeds of one configuration (losses 3.0 and 3.5) and one run of another: two rows."""
    runs = [_run("a", 3.0), dataclasses.replace(_run("b", 3.5), seed=1),
            dataclasses.replace(_run("c", 2.5), tokens=2_000_000)]
    rows = mean_over_seeds(runs)
    assert rows["tokens"].tolist() == [1_000_000, 2_000_000]
    assert rows["loss"].tolist() == [3.25, 2.5] and rows["n_seeds"].tolist() == [2, 1]
    assert rows["loss_sd"][0] == pytest.approx(0.3535533906, rel=1e-9) and rows["loss_sd"][1] == 0
    assert "seed" not in rows and "run_id" not in rows


def test_mean_over_seeds_of_no_runs_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        mean_over_seeds([])
