"""The benchmark suite runs: every case at smoke size, verdicts, skipped peers, failures caught."""

from __future__ import annotations

import math

import pytest

from benchmarks import bound_cases, curves, kde_cases
from benchmarks.__main__ import CASES, main
from benchmarks.runner import failed, run_all, run_case


@pytest.fixture(scope="module")
def smoke_results() -> dict:
    return run_all(CASES, smoke=True, repeats=1, only=None)


def test_smoke_run_has_every_case_and_no_failure(smoke_results):
    assert [case["name"] for case in smoke_results["cases"]] == list(CASES)
    assert failed(smoke_results) == []
    for case in smoke_results["cases"]:
        assert case["peers"], case["name"]
        for peer in case["peers"]:
            assert peer["verdict"] in ("met", "missed", "skipped"), (case["name"], peer)
            if peer["verdict"] != "skipped":
                assert all(r > 0 and math.isfinite(r) for r in peer["ratios"])
                assert peer["min"] <= peer["median"] <= peer["max"]


def test_smoke_results_record_the_environment(smoke_results):
    assert smoke_results["mode"] == "smoke"
    assert smoke_results["machine"]["cpu_count"] >= 1
    assert smoke_results["versions"]["numpy"]
    assert smoke_results["date"].endswith("+00:00")


def test_thresholds_report_both_errors_against_mpmath(smoke_results):
    case = next(c for c in smoke_results["cases"] if c["name"] == "thresholds")
    assert case["extra"]["ours_error_vs_mpmath"] < 1e-12
    assert "error vs mpmath" in case["peers"][0]["agreement"]


def test_missing_peer_is_skipped_with_its_reason(monkeypatch):
    monkeypatch.setattr(kde_cases, "missing", lambda module: f"{module} not installed")
    result = run_case("blobs", kde_cases.blobs, smoke=True, repeats=1)
    assert result["verdict"] == "skipped"
    assert result["peers"][0]["reason"] == "sklearn not installed"
    assert "ratios" not in result["peers"][0]


def test_only_the_missing_peer_is_skipped(monkeypatch):
    absent = {"KDEpy": "KDEpy not installed"}
    monkeypatch.setattr(kde_cases, "missing", absent.get)
    result = run_case("kde_loop_1d", kde_cases.kde_loop_1d, smoke=True, repeats=1)
    verdicts = {p["peer"]: p["verdict"] for p in result["peers"]}
    assert verdicts.pop("KDEpy FFTKDE + numpy sampler") == "skipped"
    assert set(verdicts.values()) <= {"met", "missed"}
    assert failed({"cases": [result]}) == []


def test_a_wrong_peer_answer_is_a_disagreement():
    def build(smoke: bool):
        case = bound_cases.augment(smoke)
        right = case.peers[0].run
        case.peers[0].run = lambda: right() * (1 + 1e-9)  # a formula off by one part in 10^9
        return case

    result = run_case("augment", build, smoke=True, repeats=1)
    assert result["peers"][0]["verdict"] == "disagree"
    assert result["peers"][1]["verdict"] in ("met", "missed")  # the untouched peer still agrees
    assert failed({"cases": [result]}) == ["augment"]


def test_a_raising_peer_is_an_error_and_the_run_goes_on():
    def build(smoke: bool):
        case = bound_cases.augment(smoke)
        case.peers[0].run = lambda: 1 / 0
        return case

    result = run_case("augment", build, smoke=True, repeats=1)
    assert result["peers"][0]["verdict"] == "error"
    assert "ZeroDivisionError" in result["peers"][0]["reason"]
    assert result["peers"][1]["verdict"] in ("met", "missed")


def test_command_exit_status_and_table(capsys):
    assert main(["--smoke", "--only", "augment"]) == 0
    out = capsys.readouterr().out
    assert "| augment | numpy, plain powers |" in out
    with pytest.raises(SystemExit):
        main(["--only", "no-such-case"])


def test_cost_curves_at_smoke_size(tmp_path):
    data = curves.main(smoke=True, directory=tmp_path)
    for name, curve in data.items():
        assert (tmp_path / f"{name}.png").stat().st_size > 0
        assert math.isfinite(curve["time_slope"]) and math.isfinite(curve["memory_slope"])
    assert curves.slope([1, 10, 100], [2, 20, 200]) == pytest.approx(1.0)
