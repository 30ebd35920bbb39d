"""Learner text made safe to keep and to show: the one place that caps, cleans and escapes it.

Anything a learner's code or notebook can put into the grader's outputs (an exception's
message, a cell's label, a note that quotes their code, a folder name) is *untrusted text*.
Every output goes through two steps, in this order:

1. :func:`clean` when the grader keeps the text (``results.jsonl``, notes, the manifest):
   any value becomes one line of at most ``limit`` characters (a longer text is cut, and the
   cut says how long the text was); line breaks, tabs and other control characters
   (ANSI escapes such as ``\\x1b[2J``, NUL, DEL, the C1 block) and the bidirectional
   controls that can make text read in another order ("Trojan Source", CVE-2021-42574)
   are removed; lone surrogates, which UTF-8 cannot hold, are written as ``\\udXXX``.
2. An escape for the format the text is written into, when it is written:
   :func:`markdown` for Markdown (feedback files) and :func:`html_text` for HTML (pages,
   ``_repr_html_``, feedback shown in a notebook). Both clean first, so they are safe
   on raw text too.

A text whose lines matter (a learner's code cell, a written answer) is cleaned by
:func:`clean_lines` instead: the same characters go, but its line breaks and indentation
stay, and :func:`html_block` escapes it for an element that keeps them (``<pre>``, or
``white-space: pre-wrap``).

After :func:`markdown`, learner text cannot start a line, a heading, a list item, a
quotation, a table row or a thematic break, and cannot open an HTML tag, an entity, a link,
an image, emphasis or a code span: it reads as the same characters, rendered as text.
After :func:`html_text`, it cannot open a tag or an attribute.

Used by the grader's proxy (:mod:`.proxy`) on every message from a learner's process, by
the feedback writer (:mod:`.report`) and by the pages written for instructors.

Examples
--------
>>> clean("ValueError: \\x1b[2Jbad\\nvalue")
'ValueError: bad value'
>>> markdown("**Total: 6/6** <img src=x>")
'\\\\*\\\\*Total: 6/6\\\\*\\\\* &lt;img src=x&gt;'
>>> html_text('<b title="x">')
'&lt;b title=&quot;x&quot;&gt;'
"""

from __future__ import annotations

import html
import re
import unicodedata

#: characters of one learner message the grader keeps (an exception's text, a cell's error)
MESSAGE_CHARS = 500
#: characters of a result's whole message: the grader's words around a learner's message
RESULT_CHARS = 1000
#: characters of one note about a notebook the grader keeps
NOTE_CHARS = 600
#: characters of a short label (an exception's type name, where in the code it happened)
LABEL_CHARS = 200
#: characters of a student's folder name as written (255 bytes, each at most ``\xNN``)
FOLDER_CHARS = 1024
#: characters of one block of a learner's own lines shown on a page (a cell, a written answer)
BLOCK_CHARS = 20_000

#: bidirectional formatting characters (Unicode TR9): they can reorder what a reader sees
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: terminal escape sequences (ECMA-48): CSI ``ESC [ ... final``, OSC ``ESC ] ... BEL``, and
#: two-character escapes; removed whole, so no ``[2J`` is left behind
_ANSI = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
                   r"|\x1b[ -/]*[0-~]")
#: line and paragraph breaks, tabs: become one space (the text is kept on one line)
_BREAKS = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x85\u2028\u2029")
#: Markdown punctuation that can open something inline wherever it stands
_INLINE = re.compile(r"([\\`*\[\]!|~{}])")
#: what can make a line start a block when it is the first thing on it: a heading, a quote,
#: a list item or thematic break, a setext underline, an ordered list item
_BLOCK_START = re.compile(r"^([#>+\-=]|\d{1,9}[.)])")
#: GitHub turns bare web addresses into links: break the pattern, keep the text readable
_AUTOLINK = re.compile(r"(?i)(\w)(://)|\b(www)(\.)")


def clean(text: object, limit: int = MESSAGE_CHARS) -> str:
    """``text`` as one line of at most ``limit`` characters with no control characters.

    Parameters
    ----------
    text
        Any value; ``str()`` of it is used (an object whose ``__str__`` raises becomes
        ``<unprintable TYPE>``).
    limit
        The most characters kept. A longer text ends in ``… (N characters in all)``, so the
        result is at most about ``limit + 30`` characters.

    Only ``text[:limit]`` is ever examined, so cleaning an 8 MiB message costs what cleaning
    ``limit`` characters costs.
    """
    text = _text_of(text)
    total = len(text)
    head = text[:limit]
    if not head.isprintable():
        head = "".join(_clean_char(ch) for ch in _ANSI.sub("", head))
        head = re.sub(r" {2,}", " ", head) if "  " in head else head
        head = head[:limit].strip()
    if total > limit:
        return f"{head}… ({total:,} characters in all)"
    return head


def _clean_char(ch: str) -> str:
    if ch.isprintable():
        return ch
    if ch in _BREAKS:
        return " "
    if ch in _BIDI:
        return ""
    category = unicodedata.category(ch)
    if category == "Cs":  # a lone surrogate: keep it visible, as Python writes it
        return f"\\u{ord(ch):04x}"
    if category == "Cc":  # C0, DEL, C1: terminal escapes and the like
        return ""
    return ch  # other format or separator characters (no-break space, joiners): harmless


def _text_of(text: object) -> str:
    """``str(text)``, or ``<unprintable TYPE>`` when that raises."""
    if isinstance(text, str):
        return text
    try:
        return str(text)
    except Exception:  # noqa: BLE001 - a learner's __str__ may raise anything
        return f"<unprintable {type(text).__name__}>"


def clean_lines(text: object, limit: int = BLOCK_CHARS) -> str:
    """``text`` cleaned as :func:`clean` cleans it, but keeping its lines: at most ``limit``
    characters, line breaks as ``\\n``, tabs as spaces (4 columns), indentation kept;
    terminal escapes, control and bidirectional characters removed. A longer text ends in
    a line ``… (N characters in all)``."""
    text = _text_of(text)
    total = len(text)
    head = text[:limit].replace("\r\n", "\n").replace("\r", "\n")
    if not head.replace("\n", "").isprintable():
        head = _ANSI.sub("", head)
        head = "".join(ch if ch in "\n\t" else "\n" if ch in _BREAKS else _clean_char(ch) for ch in head)
    head = "\n".join(line.expandtabs(4).rstrip() for line in head.split("\n"))
    if total > limit:
        return f"{head}\n… ({total:,} characters in all)"
    return head


def markdown(text: object, limit: int = MESSAGE_CHARS) -> str:
    """``text`` cleaned (:func:`clean`) and escaped so that Markdown shows it as written.

    HTML's ``& < >`` become entities (no tag, no entity, no autolink ``<http://...>``);
    the punctuation that opens emphasis, code, links, images, tables or strikethrough gets a
    backslash (``_`` only where it could open emphasis: ``fit_power_law`` stays as it is);
    a first character that would start a block (``#``, ``>``, ``-``, ``+``, ``=``, ``1.``)
    is escaped; ``http://`` and ``www.`` are broken so they do not become links.
    """
    text = html.escape(clean(text, limit), quote=False)
    text = _INLINE.sub(r"\\\1", text)
    text = re.sub(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])", r"\\_", text)
    text = _AUTOLINK.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else f"{m.group(3)}\\{m.group(4)}",
                         text)
    return _BLOCK_START.sub(r"\\\1", text)


def html_text(text: object, limit: int = MESSAGE_CHARS) -> str:
    """``text`` cleaned (:func:`clean`) and escaped for HTML, quotes included (safe in an
    element's text and in a quoted attribute)."""
    return html.escape(clean(text, limit), quote=True)


def html_block(text: object, limit: int = BLOCK_CHARS) -> str:
    """``text`` cleaned with its lines kept (:func:`clean_lines`) and escaped for HTML, for
    an element that shows line breaks (``<pre>``, ``white-space: pre-wrap``)."""
    return html.escape(clean_lines(text, limit), quote=True)
