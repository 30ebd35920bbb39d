"""Readable file names for a learner's feedback (issue 20, item 5)."""

from __future__ import annotations

import unicodedata

import pytest

from course_utils.grading.course.filenames import MAX_NAME_BYTES, learner_files, slug


@pytest.mark.parametrize("label, name", [("ada", "ada"), ("rené", "rené"), ("李雷", "李雷"), ("josé", "josé"),
                                         ("O'Brien", "O_Brien"), ('=HYPERLINK("x")', "HYPERLINK_x"),
                                         ("caf\\xe9-\\xff", "caf_xe9-_xff"), ("..", "learner"), ("con", "con_"),
                                         ("two\\nlines", "two_nlines")])
def test_a_folder_name_becomes_a_file_name_every_system_takes(label, name):
    assert slug(label) == name


def test_a_decomposed_name_gives_the_composed_file_name():
    assert slug(unicodedata.normalize("NFD", "rené")) == "rené"


def test_a_long_name_is_cut_to_whole_characters():
    assert len(slug("李" * 200).encode("utf-8")) <= MAX_NAME_BYTES
    slug("é" * 200).encode("utf-8")  # never half a character


def test_only_names_that_would_share_a_file_get_a_hash_and_the_same_one_every_time():
    names = learner_files(["Ada", "ada", "a b", "a_b", "ken"])
    assert names["ken"] == "ken"
    assert names["Ada"].startswith("Ada-") and names["ada"].startswith("ada-") and names["Ada"] != names["ada"]
    assert names["a b"] != names["a_b"] and names["a b"].startswith("a_b-")
    assert learner_files(["ada", "Ada"]) == {"Ada": names["Ada"], "ada": names["ada"]}
