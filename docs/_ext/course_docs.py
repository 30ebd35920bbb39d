"""What the course's website adds to Sphinx (loaded by _config.yml)."""

import re

from pygments.lexers.special import TextLexer

#: a guide's link to a document at the top of the repository, which the website holds elsewhere
_TOP_LEVEL = re.compile(r"\]\(\.\./\.\./(README|ARCHITECTURE)\.md(#[^)]*)?\)")
#: where the website holds it: the README's content is the index page, ARCHITECTURE.md a page
_ON_THE_SITE = {"README": "](../index.md)", "ARCHITECTURE": "](../architecture.md)"}


def _site_links(app, docname, source):
    """Point a guide's links to README.md and ARCHITECTURE.md at the website's own pages."""
    if docname.startswith("guides/"):
        source[0] = _TOP_LEVEL.sub(lambda match: _ON_THE_SITE[match.group(1)], source[0])


def setup(app):
    app.connect("source-read", _site_links)
    # Pygments has no lexer for CSV: the README's ```csv blocks (a gradebook's rows) are shown as typed
    app.add_lexer("csv", TextLexer)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
