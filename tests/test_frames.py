"""Records as a pandas DataFrame, and the names the ``empirical`` package exports."""

import sys

import pytest

import empirical
from bounds.scenarios import Augment
from empirical.frames import to_frame
from empirical.loop import run
from empirical.records import write_jsonl
from empirical.spec import MODELS, TRUTHS, RunSpec


@pytest.fixture(scope="module")
def records():
    spec = RunSpec(Augment(50, 100), MODELS.component("kde"), TRUTHS.component("bump"), 3, 4)
    return run(spec)


def test_one_row_per_record_with_the_spec_and_the_fitted_model(records, tmp_path):
    path = write_jsonl(tmp_path / "r.jsonl", records)
    frame = to_frame(path)
    assert len(frame) == 3 and list(frame["generation"]) == [1, 2, 3]
    assert list(frame["delta"]) == [r["delta"] for r in records]
    assert set(frame["scenario"]) == {"augment"} and set(frame["scenario.m"]) == {100}
    assert set(frame["model.bandwidth"]) == {"scott"}  # asked for: a rule
    assert set(frame["fitted.kernel"]) == {"gaussian"}  # the fitted model's own description
    assert to_frame(records).equals(frame)  # from the records themselves, the same frame


def test_without_pandas_the_message_says_how_to_get_it(records, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(ImportError, match="needs pandas, which is optional: pip install pandas"):
        to_frame(records)


def test_the_package_exports_its_main_names_lazily():
    for name in empirical.__all__:
        assert getattr(empirical, name) is not None
    assert empirical.RunSpec is RunSpec and empirical.to_frame is to_frame
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        empirical.nothing  # noqa: B018
