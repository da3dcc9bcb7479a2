"""MkDocs hooks of the documentation site (mkdocs.yml, `hooks`).

The docstrings are written for Sphinx-style readers: ``:class:`Result``` roles and paragraphs that
end in ``::`` before a literal block. mkdocstrings renders them as Markdown, which leaves the role
names and the double colon in the text; this hook drops both from the rendered HTML, so
``:class:`Result``` reads as ``Result`` in code type (and ``:class:`~a.b.C``` as ``a.b.C``). The sources are not changed.
"""

import re

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|mod|attr|data|exc|obj|const|term|ref):(<code\b[^>]*>)~?")
_LITERAL_MARK = re.compile(r"::(</p>)")


def on_page_content(html, page, config, files):
    return _LITERAL_MARK.sub(r":\1", _ROLE.sub(r"\1", html))
