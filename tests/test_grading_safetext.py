"""Learner text in the grader's outputs (issue 21, item 3): capped, cleaned, escaped.

Each test feeds :mod:`course_utils.grading.safetext` a text a hostile learner could raise
or write, and checks what reaches a file. The Markdown tests render the escaped text with
mistune (the renderer nbconvert and JupyterLab's exporters use) inside a feedback line, as
``report.format_results`` writes it, and read back what a reader would see.
"""

from __future__ import annotations

import html
import re

import pytest

from course_utils.grading.safetext import MESSAGE_CHARS, clean, html_text, markdown


def test_control_characters_and_terminal_escapes_are_removed_whole():
    assert clean("a\x00b\x07c\x7fd\x96e") == "abcde"
    assert clean("\x1b[2J\x1b[31mred\x1b[0m \x1b]0;title\x07ok") == "red ok"


def test_line_breaks_and_tabs_become_one_space_so_the_text_stays_on_one_line():
    assert clean("one\n\ntwo\tthree\r\nfour\u2028five") == "one two three four five"


def test_bidirectional_controls_are_removed():
    """CVE-2021-42574 ("Trojan Source"): U+202E makes the rest of a line read backwards."""
    assert clean("access\u202e\u2066 granted\u2069") == "access granted"


def test_lone_surrogates_are_written_as_escapes():
    assert clean("\ud800 and \udfff") == "\\ud800 and \\udfff"
    clean("\ud800").encode("utf-8")  # no UnicodeEncodeError when written


def test_a_long_text_is_cut_at_the_limit_and_says_how_long_it_was():
    text = "\x1b[2Jred " * (8 * 2**20 // 10)
    kept = clean(text)
    assert len(kept) < MESSAGE_CHARS + 40
    assert kept.endswith(f"({len(text):,} characters in all)")
    assert "\x1b" not in kept


def test_any_value_becomes_text_even_one_whose_str_raises():
    class Hostile:
        def __str__(self):
            raise RuntimeError("no")

    assert clean(5) == "5"
    assert clean(Hostile()) == "<unprintable Hostile>"


def _rendered(line: str) -> str:
    mistune = pytest.importorskip("mistune")
    return mistune.html(f"- ✗ two integers: {line}\n- ✗ two floats: wrong result\n")


@pytest.mark.parametrize("attack, tag", [
    ("\n\n**Total: 23/23 points (100%)**", "strong"),
    ("\n# Feedback for someone else", "h1"),
    ("# Feedback for someone else", "h1"),
    ("<img src=x onerror=alert(1)>", "img"),
    ("<script>alert(1)</script>", "script"),
    ("![x](http://evil.example/pixel.png)", "img"),
    ("[click](http://evil.example)", "a"),
    ("> quoted", "blockquote"),
    ("- a list", "ul"),
    ("1. a list", "ol"),
    ("| a | b |\n|---|---|", "table"),
    ("`code`", "code"),
    ("_emphasis_ and *more*", "em"),
    ("---", "hr"),
    ("http://evil.example and www.evil.example", "a"),
])
def test_learner_text_in_markdown_opens_nothing(attack, tag):
    page = _rendered(markdown(attack))
    count = {"ul": 1}.get(tag, 0)  # the feedback's own list is the only one
    assert len(re.findall(f"<{tag}[ >]", page)) == count, page
    assert page.count("<li>") == 2, page


def test_escaped_markdown_reads_as_the_cleaned_text():
    """A reader sees the learner's characters, not escapes."""
    text = "ValueError: fit_power_law got *x* < 0 & [1, 2] | #3 -> 1. done"
    page = _rendered(markdown(text))
    first_item = re.search(r"<li>(.*?)</li>", page, re.S).group(1)
    assert html.unescape(re.sub(r"<[^>]+>", "", first_item)) == f"✗ two integers: {text}"


def test_names_with_underscores_stay_readable_in_the_markdown_file():
    assert markdown("fit_power_law raised ValueError") == "fit_power_law raised ValueError"


def test_html_text_escapes_tags_and_quotes_and_cleans():
    assert html_text('<img src="x" onerror=\'alert(1)\'>\n') == \
        "&lt;img src=&quot;x&quot; onerror=&#x27;alert(1)&#x27;&gt;"
