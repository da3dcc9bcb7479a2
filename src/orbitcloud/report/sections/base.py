"""The building blocks of the page's sections: :class:`Section`, the plotly layout, HTML tables."""

from __future__ import annotations

import html
from typing import Any

TOP_LEGEND = dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0)


def plot_layout(title: str, height: int = 360, **kw) -> dict:
    """The layout every figure starts from (title at the left, legend below), updated with ``kw``."""
    base = dict(
        title=dict(text=title, x=0.01, xanchor="left", font=dict(size=15)),
        height=height,
        margin=dict(l=60, r=20, t=40, b=40),
        template="plotly_white",
        legend=dict(orientation="h", yanchor="top", y=-0.16, xanchor="left", x=0.0),
        hovermode="x unified",
    )
    base.update(kw)
    return base


class Section:
    """A titled block of the page: introduction HTML, figures, extra HTML."""

    def __init__(self, key: str, title: str, intro: str = "") -> None:
        self.key = key
        self.title = title
        self.intro = intro
        self.items: list[tuple[str, Any]] = []  # ("fig", figure) or ("html", text)

    def fig(self, figure) -> None:
        self.items.append(("fig", figure))

    def html(self, text: str) -> None:
        self.items.append(("html", text))


def html_table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    """An HTML table (cells escaped)."""
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'
