"""The book's citation, read from CITATION.cff, and the bibliography labels code writes as text."""

from __future__ import annotations

import pytest
from pybtex.database import parse_string

from analysis import __version__
from analysis.publish import bibliography, build, citation


@pytest.fixture(scope="module")
def meta():
    return citation.metadata()


def test_metadata_is_the_citation_file_of_this_version(meta):
    assert meta["version"] == __version__
    assert meta["license"] == ["MIT", "CC-BY-4.0"]
    assert all("name" in a for a in meta["authors"])  # an entity, not a person


def test_the_bibtex_entry_has_an_institutional_author_and_parses(meta):
    entry = parse_string(citation.bibtex(meta), "bibtex").entries["housing_finance_book"]
    (author,) = entry.persons["author"]
    # one braced name, kept whole: not a person whose surname is "contributors"
    assert author.last_names == ["{The project's contributors}"] and not author.first_names
    assert entry.fields["version"] == __version__ and entry.fields["year"] == meta["date-released"][:4]
    assert entry.fields["license"] == "MIT, CC-BY-4.0"


def test_the_cite_block_states_title_version_date_and_both_references(meta):
    block = citation.cite_block(meta)
    for text in (meta["title"], f"**Version**: {__version__}", meta["date-released"], "CC-BY-4.0", "```bibtex"):
        assert text in block, text
    assert citation.reference(meta) in block and citation.bibtex(meta) in block
    assert not block.lstrip().startswith("#")  # the heading is the page's


def test_a_repository_is_shown_only_when_the_file_gives_one(meta):
    assert "Repository" not in citation.cite_block({**meta, "repository-code": None, "url": None})
    with_repo = {**meta, "repository-code": "https://example.org/repo"}
    assert "**Repository**: https://example.org/repo" in citation.cite_block(with_repo)
    assert citation.reference(with_repo).endswith("https://example.org/repo")
    assert "url = {https://example.org/repo}" in citation.bibtex(with_repo)


def test_a_person_author_is_family_comma_given(meta):
    person = {**meta, "authors": [{"family-names": "Campos", "given-names": "Javier"}]}
    assert citation.reference(person).startswith("Campos, Javier (")
    assert "author = {Campos, Javier}," in citation.bibtex(person)


def test_labels_outside_sphinx_are_the_books():
    assert bibliography.label("idb_es_cclip") == "Banco Interamericano de Desarrollo (n.d., ES-L1165)"
    assert bibliography.label("idb_pe_fmv") == "Banco Interamericano de Desarrollo (n.d., Peru FMV)"
    assert bibliography.label("idb_gret_2002") == "Banco Interamericano de Desarrollo (2002)"
    assert bibliography.label("campos_2018") == "Campos et al. (2018)"
    with pytest.raises(KeyError):
        bibliography.label("no_such_key")
    # the edition banner names a replaced value's source the same way, and never fails on a key
    assert build._citation("idb_es_cclip") == bibliography.label("idb_es_cclip")
    assert build._citation("no_such_key") == "no_such_key"
