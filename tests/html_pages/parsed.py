"""A page as a browser's HTML parser reads it: every element with its attributes, and the text."""

from __future__ import annotations

from html.parser import HTMLParser


class Parsed(HTMLParser):
    """Every element with its attributes, and the text (``<wbr>`` joins the pieces around it)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.pieces: list[str] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.pieces.append(data)

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def attribute(self, tag: str, name: str) -> list[str | None]:
        return [attrs[name] for each, attrs in self.elements if each == tag and name in attrs]

    def tags(self) -> list[str]:
        return [tag for tag, _ in self.elements]
