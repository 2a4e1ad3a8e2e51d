"""An exact author-year bibliography for the book (pybtex style + sphinxcontrib-bibtex citations).

The stock styles do not fit a book that cites author-year: ``plain`` numbers the reference list
and lower-cases titles ("fondo social para la vivienda"), and the ``author_year`` citations carry
no year suffix, so two undated documents by one institution cite alike. This extension registers

* ``author_year_exact`` (pybtex formatting style, ``bibtex_default_style``): entries sorted by
  author, year and title; labels ``Author, Year``, or ``Author, Year, Handle`` for an entry with a
  ``handle`` (``Banco Interamericano de Desarrollo, n.d., ES-L1165``: two undated documents of one
  author told apart by what a reader can search for, not by ``n.d.-a``), made unique with a suffix
  in list order where they would still read alike (``2024a``/``2024b``); each entry reads
  ``Authors (Year). Title. Type Number. Institution. Date. Note. Where to find it. URL``, with the title exactly as
  the bibliography gives it (case kept), in italics, or a ``[description]`` in brackets for an
  entry whose document has no title of its own (field ``description`` instead of ``title``);
* ``author_year_exact`` (citation style, ``bibtex_reference_style``): ``(Author, Year)`` and
  ``Author (Year)`` taken from that label, so the text and the list agree;
* a post-transform that writes the reference list as an unnumbered list (no ``[label]`` column):
  each item keeps its citation id, so every in-text citation still links to its entry.

``tests/test_bibliography.py`` checks the labels, the entries and the built pages.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from docutils import nodes
from pybtex.backends.plaintext import Backend as PlainTextBackend
from pybtex.richtext import Text
from pybtex.style import FormattedEntry
from pybtex.style.formatting import BaseStyle
from pybtex.style.template import field as bib_field
from pybtex.style.template import first_of, href, join, node, optional, sentence, tag, words

NO_DATE = "n.d."
SEP = ", "  # between the author and the year of a label
_TEXT = PlainTextBackend()


def _plain(rich) -> str:
    # One plain-text backend for every call: render_as("text") looks the backend up among the installed
    # packages' entry points each time, which made the bibliography take most of the build.
    return rich.render(_TEXT)


def _is_others(person) -> bool:
    return _plain(Text(*person.rich_last_names)) == "others" and not person.first_names


def _surname(person) -> str:
    return _plain(join(sep=" ")[person.rich_prelast_names + person.rich_last_names].format())


def _full_name(person, inverted: bool) -> str:
    first = _plain(join(sep=" ")[person.rich_first_names + person.rich_middle_names].format())
    last = _surname(person)
    if not first:
        return last
    return f"{last}, {first}" if inverted else f"{first} {last}"


def _persons(entry) -> list:
    for role in ("author", "editor"):
        if entry.persons.get(role):
            return list(entry.persons[role])
    return []


def label_author(entry) -> str:
    """The author part of a label: one surname, two joined by 'and', or the first 'et al.'."""
    persons = _persons(entry)
    if not persons:
        title = entry.fields.get("title") or entry.fields.get("description") or entry.key
        return _plain(Text.from_latex(title))
    etal = any(_is_others(p) for p in persons)
    real = [p for p in persons if not _is_others(p)]
    if len(real) == 1 and not etal:
        return _surname(real[0])
    if len(real) == 2 and not etal:
        return f"{_surname(real[0])} and {_surname(real[1])}"
    return f"{_surname(real[0])} et al."


def full_authors(entry) -> str:
    """All authors: the first inverted (``Campos, Javier``), the others ``First Last``."""
    persons = _persons(entry)
    etal = any(_is_others(p) for p in persons)
    names = [_full_name(p, inverted=i == 0) for i, p in enumerate(p for p in persons if not _is_others(p))]
    if not names:
        return label_author(entry)
    if etal:
        return ", ".join(names) + " et al."
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def year_of(entry) -> str:
    return entry.fields.get("year", NO_DATE)


def label_year(entry) -> str:
    """The year part of a label: the year (or n.d.), then the entry's handle if it has one."""
    handle = entry.fields.get("handle")
    return f"{year_of(entry)}{SEP}{handle}" if handle else year_of(entry)


def _sort_text(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def sort_key(entry) -> tuple:
    year = year_of(entry)
    title = entry.fields.get("title") or entry.fields.get("description") or ""
    # undated documents after the dated ones of the same author
    return (_sort_text(label_author(entry)), year == NO_DATE, year, _sort_text(title))


def unique_labels(sorted_entries: Iterable) -> list[str]:
    """``Author, Year`` for each entry, with a suffix (a, b, ...) where two would read alike."""
    entries = list(sorted_entries)
    bases = [f"{label_author(e)}{SEP}{label_year(e)}" for e in entries]
    counts, seen = Counter(bases), Counter()
    labels = []
    for base, entry in zip(bases, entries):
        if counts[base] == 1:
            labels.append(base)
            continue
        letter = chr(ord("a") + seen[base])
        seen[base] += 1
        labels.append(base + ("-" if label_year(entry) == NO_DATE else "") + letter)
    return labels


def split_label(label: str, entry) -> tuple[str, str]:
    """(author, year) of ``entry``'s label made by :func:`unique_labels`; read with the entry, as
    the year part may hold a comma (``n.d., ES-L1165``)."""
    author = label_author(entry)
    return author, label[len(author) + len(SEP) :]


@node
def _label_year(children, data):
    return Text(split_label(data["label"], data["entry"])[1])


@node
def _full_authors(children, data):
    return Text(full_authors(data["entry"]))


class AuthorYearExactStyle(BaseStyle):
    """Author-year entries as their documents give them; see the module docstring."""

    default_name_style = "plain"
    default_label_style = "number"  # unused: format_labels is overridden
    default_sorting_style = "none"  # unused: sort is overridden

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.format_labels = unique_labels
        self.sort = lambda entries: sorted(entries, key=sort_key)

    def format_entry(self, label, entry, bib_data=None):
        context = {"entry": entry, "style": self, "bib_data": bib_data, "label": label}
        return FormattedEntry(entry.key, self.template.format_data(context), label)

    @property
    def template(self):
        title = first_of[
            optional[tag("em")[bib_field("title")]],
            optional[join["[", bib_field("description"), "]"]],
        ]
        return join(sep=" ")[
            join[_full_authors, " (", _label_year, ")."],
            join[title, "."],
            optional[sentence[words[bib_field("type"), optional[bib_field("number")]]]],
            _where_sentence,
            _date_sentence,
            optional[sentence[bib_field("note")]],
            optional[sentence[bib_field("howpublished")]],
            optional[href(url=bib_field("url", raw=True))[bib_field("url", raw=True)]],
        ]


@node
def _where_sentence(children, data):
    """``Institution, Address.`` (or publisher), unless it only repeats the author."""
    entry = data["entry"]
    for name in ("institution", "publisher", "organization"):
        if name in entry.fields:
            where = Text.from_latex(entry.fields[name])
            if where.render_as("text") == full_authors(entry):
                return Text()
            return sentence[where, optional[bib_field("address")]].format_data(data)
    return Text()


@node
def _date_sentence(children, data):
    """``14 May 2012.`` or ``June 2024.``, only when the entry gives a month (the year is in the label)."""
    fields = data["entry"].fields
    if "month" not in fields:
        return Text()
    return Text(" ".join(x for x in (fields.get("day", ""), fields["month"], fields.get("year", "")) if x), ".")


# ---- citations in the text -------------------------------------------------------------------


def _citation_styles():
    from sphinxcontrib.bibtex.style.referencing import BaseReferenceStyle, BracketStyle, GroupReferenceStyle
    from sphinxcontrib.bibtex.style.referencing.extra_empty import ExtraEmptyReferenceStyle
    from sphinxcontrib.bibtex.style.referencing.extra_label import ExtraLabelReferenceStyle
    from sphinxcontrib.bibtex.style.template import join2, post_text, pre_text, reference

    @node
    def label_author_node(children, data):
        return Text(split_label(data["formatted_entry"].label, data["entry"])[0])

    @node
    def label_year_node(children, data):
        return Text(split_label(data["formatted_entry"].label, data["entry"])[1])

    def parens():
        # several works in one citation: (A, 2012; B, n.d.), never (A, 2012, B, n.d.)
        return BracketStyle(left="(", right=")", sep="; ")

    @dataclass
    class Parenthetical(BaseReferenceStyle):
        """``(Author, Year)``; ``alp``: without the parentheses."""

        bracket: BracketStyle = field(default_factory=parens)

        def role_names(self):
            return [f"{alt}p{full}" for alt in ("", "al") for full in ("", "s")]

        def outer(self, role_name, children):
            return self.bracket.outer(children, brackets="al" not in role_name, capfirst=False)

        def inner(self, role_name):
            return join2(sep1=" ", sep2=", ")[
                pre_text,
                reference[join(sep=SEP)[label_author_node, label_year_node]],
                post_text,
            ]

    @dataclass
    class Textual(BaseReferenceStyle):
        """``Author (Year)``."""

        bracket: BracketStyle = field(default_factory=parens)

        def role_names(self):
            return [f"{cap}t{full}" for cap in ("", "c") for full in ("", "s")]

        def outer(self, role_name, children):
            return self.bracket.outer(children, brackets=False, capfirst="c" in role_name)

        def inner(self, role_name):
            return join(sep=" ")[
                label_author_node,
                join[
                    self.bracket.left,
                    join2(sep1=" ", sep2=", ")[pre_text, reference[label_year_node], post_text],
                    self.bracket.right,
                ],
            ]

    @dataclass
    class Author(BaseReferenceStyle):
        bracket: BracketStyle = field(default_factory=parens)

        def role_names(self):
            return [f"{cap}author{full}" for cap in ("", "c") for full in ("", "s")] + ["authorpar", "authorpars"]

        def outer(self, role_name, children):
            return self.bracket.outer(children, brackets="par" in role_name, capfirst=role_name.startswith("c"))

        def inner(self, role_name):
            return reference[label_author_node]

    @dataclass
    class Year(BaseReferenceStyle):
        bracket: BracketStyle = field(default_factory=parens)

        def role_names(self):
            return ["year", "yearpar"]

        def outer(self, role_name, children):
            return self.bracket.outer(children, brackets="par" in role_name, capfirst=False)

        def inner(self, role_name):
            return reference[label_year_node]

    @dataclass
    class AuthorYearExactReferenceStyle(GroupReferenceStyle):
        """Author-year citations read from the bibliography's unique labels."""

        def __post_init__(self):
            self.styles.extend(
                [
                    Parenthetical(),
                    Textual(),
                    Author(),
                    ExtraLabelReferenceStyle(bracket=parens()),
                    Year(),
                    ExtraEmptyReferenceStyle(),
                ]
            )
            super().__post_init__()

    return AuthorYearExactReferenceStyle


# ---- the reference list ----------------------------------------------------------------------


def _unnumbered_reference_list(app, doctree, docname):
    """Each bibliography (a container of citations) becomes a bullet list without labels."""
    for container in list(doctree.findall(nodes.container)):
        cites = container.children
        if not cites or not all(isinstance(c, nodes.citation) for c in cites):
            continue
        items = nodes.bullet_list(classes=["bibliography", "author-year"])
        for cite in cites:
            item = nodes.list_item(ids=list(cite["ids"]), classes=["citation"])
            item.extend(child.deepcopy() for child in cite.children if not isinstance(child, nodes.label))
            items += item
        container.replace_self(items)


def register() -> None:
    """Register both styles under ``author_year_exact`` (also used by the tests)."""
    import pybtex.plugin
    from sphinxcontrib.bibtex.plugin import register_plugin

    pybtex.plugin.register_plugin("pybtex.style.formatting", "author_year_exact", AuthorYearExactStyle, force=True)
    register_plugin("sphinxcontrib.bibtex.style.referencing", "author_year_exact", _citation_styles(), force=True)


def setup(app):
    register()
    # after sphinxcontrib-bibtex's BibliographyTransform (priority 5) has written the citations
    app.connect("doctree-resolved", _unnumbered_reference_list)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
