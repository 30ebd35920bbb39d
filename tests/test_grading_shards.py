"""Sharded grading (issue 15): ``grade --shard K/N`` and ``merge-grades``.

A class of 8 learners of the grader's fixture (``tests/hostile/fixture``: ``tiny.ipynb``, 6
public points and a hidden test of 2) is graded once as a whole and once as 4 shards, as an
array job would run them: shards 1 and 2 as Slurm array tasks, 3 and 4 as Kubernetes Indexed
Job pods, each through ``--shard auto``. The 8 folder names are chosen so that every shard
owns two of them (shard = 1 + SHA-256(name)[:8] mod 4: cleo, finn -> 1; dan, gus -> 2;
ada, bob -> 3; eve, hana -> 4). The refusals are checked on copies of those shard folders.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from unittest import mock

import pytest

from course_utils.__main__ import main
from course_utils.grading.course.ledger import read_ledger
from course_utils.grading.stages.outputs import write_outputs
from course_utils.sharding import key_shard

FIXTURE = Path(__file__).parent / "hostile" / "fixture"
SHARDS = {"cleo": 1, "finn": 1, "dan": 2, "gus": 2, "ada": 3, "bob": 3, "eve": 4, "hana": 4}
DUE = "2025-03-07T23:59+00:00"
ON_TIME, LATE = 1741219200, 1741435200  # 2025-03-06 00:00 and 2025-03-08 12:00 UTC
LOOKUP_TABLE_ADD = ('def add(a, b):\n    """Right on the public examples only."""\n'
                    '    return {(2, 3): 5, (0.25, 0.5): 0.75}.get((a, b), 0)\n')
#: what every grade run of this class is given (the same command line on every shard)
OPTIONS = ["--tests", str(FIXTURE), "--hidden-tests", str(FIXTURE / "tiny_hidden"), "--quiet", "--due", DUE,
           "--late-rule", "10%/day"]
SLURM = {"SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "4"}
ENGINE_VARIABLES = ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_STEP",
                    "JOB_COMPLETION_INDEX", "COURSE_SHARD_COUNT")


def _tiny(add_source: str | None = None) -> str:
    nb = json.loads((FIXTURE / "tiny.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if add_source and "def add(" in "".join(cell["source"]) and "exercise" in cell["metadata"].get("tags", []):
            cell["source"] = add_source
    return json.dumps(nb)


def make_class(folder: Path) -> Path:
    """8 learners: complete work (ada, eve identical; ada late), a broken file (bob), no
    notebook (cleo), a lookup table the hidden test catches (dan), and more complete work."""
    for student in SHARDS:
        (folder / student).mkdir(parents=True)
        if student == "cleo":
            continue
        text = {"bob": "{}", "dan": _tiny(LOOKUP_TABLE_ADD)}.get(student, _tiny())
        path = folder / student / "tiny.ipynb"
        path.write_text(text, encoding="utf-8")
        os.utime(path, (LATE, LATE) if student == "ada" else (ON_TIME, ON_TIME))
    return folder


def cli(*argv: str, environ: dict[str, str] | None = None) -> int:
    """``python -m course_utils ARGV`` in this process, with only ``environ``'s engine variables set."""
    clean = {k: v for k, v in os.environ.items() if k not in ENGINE_VARIABLES}
    with mock.patch.dict(os.environ, {**clean, **(environ or {})}, clear=True):
        return main(list(argv))


def grade_shard(subs: Path, out: Path, index: int) -> int:
    """Shard ``index`` of 4 as an array job runs it: Slurm tasks 1-2, Kubernetes pods 3-4."""
    environ = ({**SLURM, "SLURM_ARRAY_TASK_ID": str(index)} if index <= 2 else
               {"JOB_COMPLETION_INDEX": str(index - 1), "COURSE_SHARD_COUNT": "4"})
    return cli("grade", str(subs), "--out", str(out), "--shard", "auto", *OPTIONS, environ=environ)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in a gradebook folder, by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def comparable(folder: Path) -> dict[str, object]:
    """A gradebook's files with what differs between two runs of the same grading left out:
    the seconds each test took, and when (and from which shards) it was graded and its
    submission times recorded."""
    files: dict[str, object] = dict(snapshot(folder))
    files["results.jsonl"] = [{k: v for k, v in json.loads(line).items() if k != "seconds"}
                              for line in files["results.jsonl"].decode().splitlines()]
    manifest = json.loads(files["manifest.json"])
    for key in ("graded_at", "merged", "record"):
        manifest.pop(key, None)
    for entry in manifest["students"].values():
        entry.pop("graded_at", None)
        for facts in entry["notebooks"].values():
            facts.pop("graded_at", None)
        for times in entry.get("submissions", {}).values():
            times.pop("recorded_at", None)
    files["manifest.json"] = manifest
    return files


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded whole, and as 4 shards merged (shards 1-2 by Slurm, 3-4 by Kubernetes)."""
    root = tmp_path_factory.mktemp("sharded")
    subs = make_class(root / "subs")
    assert cli("grade", str(subs), "--out", str(root / "whole"), *OPTIONS) == 0
    for index in range(1, 5):
        assert grade_shard(subs, root / "shards" / str(index), index) == 0
    assert cli("merge-grades", str(root / "merged"), *(str(root / "shards" / str(k)) for k in range(1, 5))) == 0
    return root


@pytest.fixture
def shards(graded, tmp_path):
    """Copies of the 4 shard folders, to damage."""
    shutil.copytree(graded / "shards", tmp_path / "shards")
    return [tmp_path / "shards" / str(k) for k in range(1, 5)]


def refused(out: Path, *shard_dirs: Path, flags: tuple[str, ...] = ()) -> None:
    """``merge-grades`` exits 2 and writes nothing."""
    before = snapshot(out) if out.exists() else None
    assert cli("merge-grades", str(out), *map(str, shard_dirs), *flags) == 2
    assert (snapshot(out) if out.exists() else None) == before


def edit_manifest(folder: Path, change) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


# ------------------------------------------------------------------ sharding and merging


def test_the_fixture_class_puts_two_learners_in_each_of_4_shards():
    assert {name: key_shard(name, 4) for name in SHARDS} == SHARDS


def test_each_shard_grades_the_learners_whose_folder_name_it_owns(graded):
    for index in range(1, 5):
        ledger = read_ledger(graded / "shards" / str(index))
        assert ledger.known_students == sorted(name for name, k in SHARDS.items() if k == index)
        assert ledger.run["shard"]["index"] == index and ledger.run["shard"]["count"] == 4
        assert ledger.run["shard"]["class_students"] == 8


def test_four_merged_shards_give_the_gradebook_of_one_unsharded_run(graded):
    """Every file (grades.csv, feedback, summary, histogram, identical and late lists, the
    record) is the same, timings and run timestamps aside."""
    merged, whole = comparable(graded / "merged"), comparable(graded / "whole")
    assert sorted(merged) == sorted(whole)
    for name in whole:
        assert merged[name] == whole[name], name


def test_the_merged_class_has_the_graders_verdicts(graded):
    grades = (graded / "merged" / "grades.csv").read_text()
    # add: 2 public + 2 hidden points; ada is 12 hours late: one started day at 10 %/day of 8 points
    assert "ada,4,2,2,-0.8,7.2,7.2,8,90" in grades
    assert "dan,2,2,2,,6,6,8,75" in grades  # the lookup table fails the hidden test (2 points)
    assert "eve" in (graded / "merged" / "identical.csv").read_text()
    assert "ada" in (graded / "merged" / "late.csv").read_text()


def test_the_merged_manifest_names_its_shards(graded):
    merged = read_ledger(graded / "merged").run["merged"]
    assert merged["count"] == 4 and merged["class_students"] == 8
    assert [entry["shard"] for entry in merged["shards"]] == ["1/4", "2/4", "3/4", "4/4"]
    assert "shard" not in read_ledger(graded / "merged").run


def test_retrying_one_shard_and_merging_again_gives_the_same_gradebook(graded, tmp_path):
    """The retry is the shard's own command line with K/N given: grade SUBS --out shards/3 --shard 3/4."""
    root = tmp_path / "retry"
    shutil.copytree(graded / "shards", root / "shards")
    shutil.copytree(graded / "merged", root / "merged")
    shutil.rmtree(root / "shards" / "3")  # the node died: shard 3 is gone
    assert cli("grade", str(graded / "subs"), "--out", str(root / "shards" / "3"), "--shard", "3/4", *OPTIONS) == 0
    assert cli("merge-grades", str(root / "merged"), *(str(root / "shards" / str(k)) for k in range(1, 5))) == 0
    assert comparable(root / "merged") == comparable(graded / "merged")


# ------------------------------------------------------------------ --shard auto


def test_shard_auto_without_an_array_job_exits_2_before_grading(graded, tmp_path, capsys):
    assert cli("grade", str(graded / "subs"), "--out", str(tmp_path / "out"), "--shard", "auto", *OPTIONS) == 2
    assert "neither is set" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_kubernetes_pod_without_the_shard_count_exits_2(graded, tmp_path, capsys):
    environ = {"JOB_COMPLETION_INDEX": "0"}
    assert cli("grade", str(graded / "subs"), "--out", str(tmp_path / "out"), "--shard", "auto", *OPTIONS,
               environ=environ) == 2
    assert "COURSE_SHARD_COUNT" in capsys.readouterr().err


def test_a_shard_refuses_options_that_concern_the_whole_class(graded, tmp_path, capsys):
    (tmp_path / "overrides.csv").write_text("student,exercise,points,reason\nada,add,2,x\n")
    assert cli("grade", str(graded / "subs"), "--out", str(tmp_path / "out"), "--shard", "1/4",
               "--overrides", str(tmp_path / "overrides.csv"), *OPTIONS) == 2
    assert "give it to merge-grades" in capsys.readouterr().err


def test_a_shard_regrades_one_of_its_learners_and_keeps_the_others(graded, shards, tmp_path):
    subs = shutil.copytree(graded / "subs", tmp_path / "subs")
    (subs / "bob" / "tiny.ipynb").unlink()  # bob withdrew his notebook
    assert cli("grade", str(subs), "--out", str(shards[2]), "--shard", "3/4", "--student", "bob", *OPTIONS) == 0
    rows = [row for row in read_ledger(shards[2]).rows if row["status"] != "late penalty"]
    assert {row["status"] for row in rows if row["student"] == "bob"} == {"missing"}
    assert sum(row["points"] for row in rows if row["student"] == "ada") == 8


def test_a_shard_refuses_a_learner_of_another_shard(graded, tmp_path, capsys):
    assert cli("grade", str(graded / "subs"), "--out", str(tmp_path / "out"), "--shard", "1/4", "--student", "bob",
               *OPTIONS) == 2
    assert "bob belongs to shard 3/4, not 1/4" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_shard_that_owns_no_learner_is_graded_and_merged(tmp_path):
    """A class smaller than the array: of 2 shards, one owns no-one ("ada" is in shard 1 of 2)."""
    (tmp_path / "subs" / "ada").mkdir(parents=True)
    (tmp_path / "subs" / "ada" / "tiny.ipynb").write_text(_tiny(), encoding="utf-8")
    for index in (1, 2):
        assert cli("grade", str(tmp_path / "subs"), "--out", str(tmp_path / f"s{index}"), "--shard", f"{index}/2",
                   *OPTIONS) == 0
    assert read_ledger(tmp_path / "s2").known_students == []
    assert cli("merge-grades", str(tmp_path / "merged"), str(tmp_path / "s1"), str(tmp_path / "s2")) == 0
    assert read_ledger(tmp_path / "merged").known_students == ["ada"]


def test_a_shard_never_writes_into_another_shards_folder(graded, shards, capsys):
    before = snapshot(shards[0])
    assert cli("grade", str(graded / "subs"), "--out", str(shards[0]), "--shard", "2/4", *OPTIONS) == 2
    assert "holds shard 1/4, not 2/4" in capsys.readouterr().err
    assert snapshot(shards[0]) == before


def test_a_shard_never_writes_into_a_whole_class_gradebook(graded, tmp_path, capsys):
    shutil.copytree(graded / "whole", tmp_path / "whole")
    before = snapshot(tmp_path / "whole")
    assert cli("grade", str(graded / "subs"), "--out", str(tmp_path / "whole"), "--shard", "1/4", *OPTIONS) == 2
    assert "holds a gradebook of the whole class" in capsys.readouterr().err
    assert snapshot(tmp_path / "whole") == before


# ------------------------------------------------------------------ refusals of merge-grades


def test_a_missing_shard_is_named_with_the_command_that_grades_it(shards, tmp_path, capsys):
    refused(tmp_path / "merged", shards[0], shards[1], shards[3])
    err = capsys.readouterr().err
    assert "shard 3/4 is missing" in err and f"--out {shards[2]} --shard 3/4" in err


def test_shards_graded_against_different_tests_are_refused(shards, tmp_path, capsys):
    edit_manifest(shards[1], lambda m: m.update(tests_sha256="0" * 64))
    refused(tmp_path / "merged", *shards)
    assert "different tests" in capsys.readouterr().err


def test_shards_of_different_course_versions_are_refused(shards, tmp_path, capsys):
    edit_manifest(shards[1], lambda m: m.update(course_version="0.0.1"))
    refused(tmp_path / "merged", *shards)
    assert "different course versions" in capsys.readouterr().err


def test_mixed_isolation_is_refused_unless_accepted_and_then_recorded(shards, tmp_path, capsys):
    edit_manifest(shards[3], lambda m: m["isolation"].update(level="limits", note="no namespaces here"))
    refused(tmp_path / "merged", *shards)
    assert "--accept-mixed-isolation" in capsys.readouterr().err
    assert cli("merge-grades", str(tmp_path / "merged"), *map(str, shards), "--accept-mixed-isolation") == 0
    isolation = read_ledger(tmp_path / "merged").run["isolation"]
    assert isolation["level"] == "limits" and "limits: 4/4" in isolation["note"]


def test_a_learner_in_two_folders_with_different_results_is_refused(shards, tmp_path, capsys):
    """Shard 3 graded twice into two folders, the second time after bob's notebook changed."""
    again = tmp_path / "shard3-again"
    shutil.copytree(shards[2], again)
    ledger = read_ledger(again)
    for row in ledger.rows:
        if row["student"] == "bob" and row["exercise"] == "add":
            row["points"] = row["max_points"]
    write_outputs(again, ledger)
    refused(tmp_path / "merged", *shards, again)
    assert f"shard 3/4 is in two folders, {shards[2]} and {again}, with different results for bob" in \
        capsys.readouterr().err


def test_shards_with_different_due_dates_are_refused(shards, tmp_path, capsys):
    edit_manifest(shards[0], lambda m: m["settings"].update(due={"tiny": "2025-03-14T23:59+00:00"}))
    refused(tmp_path / "merged", *shards)
    assert "settings differ" in capsys.readouterr().err


def test_shards_given_different_extensions_are_refused(shards, tmp_path, capsys):
    """An extension travels like a due date: every shard is given the same file."""
    edit_manifest(shards[1], lambda m: m["settings"].update(extensions={"eve": {"tiny": "2025-03-14T23:59+00:00"}}))
    refused(tmp_path / "merged", *shards)
    assert "extensions for eve" in capsys.readouterr().err


def test_shards_of_different_splits_are_refused(shards, tmp_path, capsys):
    edit_manifest(shards[3], lambda m: m["shard"].update(count=5))
    refused(tmp_path / "merged", *shards)
    assert "different splits" in capsys.readouterr().err


def test_shards_of_two_different_classes_are_refused(graded, shards, tmp_path, capsys):
    other = make_class(tmp_path / "other")
    (other / "zoe").mkdir()  # another class: one more learner
    assert cli("grade", str(other), "--out", str(tmp_path / "other-4"), "--shard", "4/4", *OPTIONS) == 0
    refused(tmp_path / "merged", *shards[:3], tmp_path / "other-4")
    assert "cut from different classes" in capsys.readouterr().err


def test_the_same_shard_given_twice_is_merged_once(graded, shards, tmp_path, capsys):
    copy = tmp_path / "copy-of-2"
    shutil.copytree(shards[1], copy)
    assert cli("merge-grades", str(tmp_path / "merged"), *map(str, shards), str(shards[1]), str(copy)) == 0
    assert "merged once" in capsys.readouterr().out
    assert comparable(tmp_path / "merged") == comparable(graded / "merged")


def test_an_empty_shard_folder_is_refused_by_name(shards, tmp_path, capsys):
    shutil.rmtree(shards[1])
    shards[1].mkdir()
    refused(tmp_path / "merged", *shards)
    err = capsys.readouterr().err
    assert f"{shards[1]}: holds no gradebook (empty" in err and "shard 2/4 is missing" in err


def test_a_half_written_shard_is_refused(shards, tmp_path, capsys):
    """The write stopped after results.jsonl was replaced and before manifest.json was."""
    with open(shards[2] / "results.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"student": "bob", "notebook": "tiny", "exercise": "add", "test": "t",
                                 "status": "passed", "points": 1, "max_points": 1}) + "\n")
    refused(tmp_path / "merged", *shards)
    assert f"{shards[2]}: half-written" in capsys.readouterr().err


def test_a_whole_class_gradebook_is_not_a_shard(graded, shards, tmp_path, capsys):
    refused(tmp_path / "merged", *shards, graded / "whole")
    assert "a gradebook of the whole class (graded without --shard), not a shard" in capsys.readouterr().err


def test_merging_into_a_folder_that_holds_a_gradebook_is_refused_and_keeps_it(graded, shards, tmp_path, capsys):
    shutil.copytree(graded / "whole", tmp_path / "whole")
    refused(tmp_path / "whole", *shards)
    assert "already holds a gradebook graded by grade" in capsys.readouterr().err


def test_merging_into_a_shards_own_folder_is_refused(shards, capsys):
    refused(shards[0], *shards)
    assert "is (inside) the folder of shard 1/4" in capsys.readouterr().err


def test_merging_again_keeps_the_instructors_overrides(graded, shards, tmp_path):
    """An override added to the merged gradebook survives merging a retried shard again."""
    (tmp_path / "overrides.csv").write_text("student,exercise,points,reason\nbob,add,2,regraded by hand\n")
    assert cli("merge-grades", str(tmp_path / "merged"), *map(str, shards), "--overrides",
               str(tmp_path / "overrides.csv")) == 0
    assert cli("merge-grades", str(tmp_path / "merged"), *map(str, shards)) == 0
    assert "bob,2,0,0,,2,2,8,25" in (tmp_path / "merged" / "grades.csv").read_text()  # add set to 2 of 4


def test_a_node_weaker_than_the_required_isolation_stops_before_grading(tmp_path, capsys):
    subs = make_class(tmp_path / "subs")
    code = cli("grade", str(subs), "--out", str(tmp_path / "out"), *OPTIONS, "--shard", "1/4",
               "--require-isolation", "namespaces", environ={"COURSE_SANDBOX_LEVEL": "limits"})
    assert code == 2 and not (tmp_path / "out").exists()
    assert "this machine allows 'limits', weaker than --require-isolation namespaces" in capsys.readouterr().err


def test_a_node_that_meets_the_required_isolation_grades(tmp_path):
    subs = make_class(tmp_path / "subs")
    code = cli("grade", str(subs), "--out", str(tmp_path / "out"), *OPTIONS, "--shard", "1/4",
               "--require-isolation", "limits", environ={"COURSE_SANDBOX_LEVEL": "limits"})
    assert code == 0 and {row["student"] for row in read_ledger(tmp_path / "out").rows} == {"cleo", "finn"}
