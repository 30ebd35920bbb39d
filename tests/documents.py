"""Reading the README and the guides in docs/guides/ as the tests that check them need: one
section by its heading, the commands of its code blocks, its links.

A section runs from its heading to the next heading of the same or a higher level, so a
section keeps its own sub-sections. Lines inside code blocks are never headings (a Slurm
script's ``#SBATCH`` lines, a Python comment).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
GUIDES = ROOT / "docs" / "guides"
#: the guides, by the file name each has in docs/guides/
GUIDE_NAMES = ("learners", "instructors", "scale", "security", "maintainers")
#: the README and every guide
DOCUMENTS = (README, *(GUIDES / f"{name}.md" for name in GUIDE_NAMES))

_FENCE = re.compile(r"^(```|~~~)")
_HEADING = re.compile(r"^(#{1,6}) +(.+?)\s*$")
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def guide(name: str) -> Path:
    """The path of guide ``name`` (one of :data:`GUIDE_NAMES`)."""
    return GUIDES / f"{name}.md"


def prose_lines(text: str) -> list[tuple[int, str]]:
    """The lines of ``text`` outside code blocks, as (0-based line number, line)."""
    out, fenced = [], False
    for number, line in enumerate(text.splitlines()):
        if _FENCE.match(line.strip()):
            fenced = not fenced
        elif not fenced:
            out.append((number, line))
    return out


def headings(text: str) -> list[tuple[int, int, str]]:
    """The headings of ``text``, as (line number, level, title)."""
    found = [(number, _HEADING.match(line)) for number, line in prose_lines(text)]
    return [(number, len(match.group(1)), match.group(2)) for number, match in found if match]


def section(path: Path, title: str) -> str:
    """The section of ``path`` whose heading starts with ``title``, its sub-sections included."""
    text = path.read_text(encoding="utf-8")
    lines, marks = text.splitlines(), headings(text)
    for index, (number, level, heading) in enumerate(marks):
        if heading.startswith(title):
            end = next((n for n, lvl, _ in marks[index + 1:] if lvl <= level), len(lines))
            return "\n".join(lines[number:end])
    raise AssertionError(f"{path.relative_to(ROOT)} has no section '{title}'")


def commands(text: str) -> list[str]:
    """The commands of the shell code blocks of ``text``, comments and blank lines left out."""
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", text, flags=re.S)
    return [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()
            if line.split("#", 1)[0].strip()]


def links(text: str) -> list[str]:
    """The targets of the Markdown links of ``text`` outside code blocks and inline code."""
    prose = "\n".join(re.sub(r"`[^`]*`", "", line) for _, line in prose_lines(text))
    return _LINK.findall(prose)


def slug(title: str) -> str:
    """The anchor GitHub (and MyST's ``myst_heading_anchors``) gives a heading: lower case,
    inline code marks and punctuation dropped, spaces as hyphens."""
    title = re.sub(r"[^\w\- ]", "", title.strip().lower().replace("`", ""))
    return title.replace(" ", "-")
