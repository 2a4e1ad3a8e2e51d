"""The assumptions register: every value cited, every parameter the models read is registered."""
import pytest

from analysis import evaluations, params, published


class Tracking(dict):
    """A parameter dict that records every key the model reads."""

    def __init__(self, *args):
        super().__init__(*args)
        self.read = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


CASES = [(e, s) for e in evaluations.EVALUATIONS for s in params.scenario_names(e)]


@pytest.mark.parametrize("evaluation, scenario", CASES, ids=[f"{e}/{s}" for e, s in CASES])
def test_every_entry_is_cited_and_located(evaluation, scenario):
    keys = params.bibliography_keys()
    sc = evaluations.load(evaluation, scenario)
    for key, entry in sc.entries.items():
        assert entry["source"] in keys, (key, entry["source"])
        assert entry["locator"].strip() and entry["unit"].strip(), key
        for block in ("range", "distribution"):
            if block in entry:
                assert entry[block]["source"] in keys and entry[block]["locator"].strip(), (key, block)


@pytest.mark.parametrize("evaluation", list(evaluations.EVALUATIONS))
def test_the_model_reads_only_registered_parameters(evaluation):
    module = evaluations.module(evaluation)
    sc = evaluations.load(evaluation)
    p = Tracking(sc.values)
    module.evaluate(p)
    assert p.read, "the model read no parameter through the register"
    assert p.read <= set(sc.entries), f"read but not registered: {sorted(p.read - set(sc.entries))}"


def test_a_model_reading_an_unregistered_parameter_is_caught():
    p = Tracking({"a": 1})
    p.get("b")
    assert not p.read <= {"a"}


@pytest.mark.parametrize("evaluation", [d.name for d in published.PUBLISHED_DIR.iterdir() if d.is_dir()])
def test_published_tables_are_cited_and_listed(evaluation):
    keys = params.bibliography_keys()
    manifest = published.manifest(evaluation)
    for name, meta in manifest.items():
        assert meta["source"] in keys and meta["locator"].strip(), name
        assert (published.PUBLISHED_DIR / evaluation / name).is_file(), name
    on_disk = {p.name for p in (published.PUBLISHED_DIR / evaluation).glob("*.csv")}
    assert on_disk <= set(manifest), f"not in sources.yaml: {sorted(on_disk - set(manifest))}"
