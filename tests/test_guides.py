"""The README is a front door and the guides behind it hold together (issue 25, item 3).

The README says what the course is, gives the syllabus, the two commands and the command
table, and links to the guides in docs/guides/, each one Markdown page that Jupyter Book's
MyST reads as well as GitHub does. The tests that check what a guide states live beside the
behaviour they check (test_packaging.py, test_cli.py, browser/test_hub.py); these check the
documents as documents.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from documents import DOCUMENTS, GUIDE_NAMES, GUIDES, README, ROOT, guide, headings, links, prose_lines, slug

#: the README's length limit: it stays a page a newcomer reads to the end
README_MAX_LINES = 200


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_readme_is_a_front_door_under_200_lines():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines: move the details into a guide in docs/guides/")


def test_the_readme_links_every_guide():
    targets = set(links(README.read_text(encoding="utf-8")))
    assert {f"docs/guides/{name}.md" for name in GUIDE_NAMES} <= targets


def test_docs_guides_holds_exactly_the_named_guides():
    assert sorted(path.stem for path in GUIDES.glob("*.md")) == sorted(GUIDE_NAMES)


@pytest.mark.parametrize("name", GUIDE_NAMES)
def test_a_guide_is_one_titled_page_that_says_what_it_is_for(name):
    """One top-level heading, first (MyST takes it as the page title; a second would start a
    second page title), then a one-line purpose, then a heading per section."""
    text = guide(name).read_text(encoding="utf-8")
    marks = headings(text)
    assert [level for _, level, _ in marks].count(1) == 1 and marks[0][:2] == (0, 1)
    purpose = text.split("\n\n")[1]
    assert "\n" not in purpose.strip() and not purpose.startswith("#"), "no one-line purpose under the title"
    assert sum(level == 2 for _, level, _ in marks) >= 2


@pytest.mark.parametrize("path", DOCUMENTS, ids=_name)
def test_every_relative_link_leads_to_a_file_and_heading_of_the_repository(path):
    broken = []
    for target in links(path.read_text(encoding="utf-8")):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not checked offline
            continue
        file, _, anchor = target.partition("#")
        resolved = (path.parent / file).resolve() if file else path
        if not resolved.is_relative_to(ROOT) or not resolved.is_file():
            broken.append(f"{target} (no such file)")
        elif anchor and resolved.suffix == ".md":
            anchors = {slug(title) for _, _, title in headings(resolved.read_text(encoding="utf-8"))}
            if anchor not in anchors:
                broken.append(f"{target} (no such heading in {_name(resolved)})")
    assert not broken, f"{_name(path)}: broken links: {broken}"


def test_the_link_check_finds_a_broken_link_and_a_missing_heading(tmp_path):
    """The check above is only as good as its parts: a link to a missing file, one to a
    missing heading, and links inside code are told apart."""
    text = ("# T\n\n[a](missing.md) and `[b](in-code.md)` and [c](#a-heading)\n\n"
            "```\n[d](in-block.md)\n```\n\n## A heading, with `code`\n")
    assert links(text) == ["missing.md", "#a-heading"]
    assert slug("A heading, with `code`") == "a-heading-with-code"
    assert [title for _, _, title in headings(text)] == ["T", "A heading, with `code`"]


def test_no_raw_html_in_the_guides():
    """Plain MyST: raw HTML would be passed through to the website unchecked."""
    for name in GUIDE_NAMES:
        text = "\n".join(line for _, line in prose_lines(guide(name).read_text(encoding="utf-8")))
        text = re.sub(r"`[^`]*`", "", text)
        assert not re.search(r"<[a-zA-Z/][^>]*>", text), f"{name}.md has raw HTML"


def test_the_grader_points_at_guides_that_exist():
    """Messages and docstrings of course_utils that send a reader to a guide name a real one."""
    named = {match for path in (ROOT / "course_utils").rglob("*.py")
             for match in re.findall(r"docs/guides/(\w+)\.md", path.read_text(encoding="utf-8"))}
    assert named and named <= set(GUIDE_NAMES)
