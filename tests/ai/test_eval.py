"""`sprawa eval` and `sprawa bench ai` on tiny slices (the full runs are commands, not tests)."""

import json
from pathlib import Path

import pytest

from sprawa.ai import evaluate
from sprawa.ai.bench import bench_triage
from sprawa.ai.nlu.cache import NpzCache
from sprawa.ai.nlu.dataset import ENTITIES_TEST_FILE, INTENTS, TEST_FILE, TRAIN_FILE, load_examples


def test_held_out_split_is_disjoint_and_covers_the_taxonomy() -> None:
    train, test = load_examples(TRAIN_FILE), load_examples(TEST_FILE)
    assert not {e.text for e in train} & {e.text for e in test}
    polish = [e for e in train if e.lang == "pl"]
    assert all(sum(e.intent == intent for e in polish) >= 40 for intent in INTENTS)
    assert {e.lang for e in train} >= {"pl", "en", "uk", "de"} and {e.lang for e in test} >= {
        "pl",
        "en",
        "uk",
        "de",
    }
    assert {e.intent for e in test} == set(INTENTS)


def test_macro_f1() -> None:
    assert evaluate.macro_f1(["a", "b"], ["a", "b"], ["a", "b"]) == 1.0
    assert evaluate.macro_f1(["a", "b"], ["a", "a"], ["a", "b"]) == pytest.approx((2 / 3 + 0) / 2)


def _tiny_clinc(tmp_path: Path) -> Path:
    intents = {
        "weather": [
            "what's the weather like",
            "will it rain today",
            "is it sunny outside",
            "forecast please",
        ],
        "alarm": ["set an alarm for 7", "wake me up at six", "alarm at noon please", "set my alarm"],
        "timer": [
            "start a timer for 5 minutes",
            "timer 10 minutes",
            "set a countdown",
            "time 3 minutes for me",
        ],
    }
    rows = [[t, i] for i, texts in intents.items() for t in texts]
    oos = [["who won the football match", "oos"], ["how tall is mount everest", "oos"]]
    data = {"train": rows, "val": rows[::2], "test": rows[1::2], "oos_val": oos[:1], "oos_test": oos[1:]}
    (tmp_path / "data_full.json").write_text(json.dumps(data))
    return tmp_path


def test_eval_runs_on_a_tiny_slice(nlu, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(
        evaluate, "tau2_summary", lambda limit=None: {"available": True, "tasks": 2, "matching": 2}
    )
    # Keep the tiny CLINC vectors out of the machine-wide cache (which holds the real CLINC set).
    monkeypatch.setattr(nlu, "cache", NpzCache(tmp_path / "cache"))
    report = evaluate.run_eval(
        nlu, TEST_FILE, ENTITIES_TEST_FILE, _tiny_clinc(tmp_path), limit=6, clinc_train_per_intent=4
    )
    intents = report.sections["intents"]
    assert intents["examples"] == 6 and 0 <= intents["accuracy"] <= 1 and 0 <= intents["macro_f1"] <= 1
    assert set(intents["per_language"]) <= {"pl", "en", "uk", "de"}
    assert report.sections["entities"]["messages"] == 6
    clinc = report.sections["clinc150"]
    assert clinc["test_oos"] == 1 and 0 <= clinc["oos_recall"] <= 1 and 0 <= clinc["in_scope_accuracy"] <= 1
    text = "\n".join(evaluate.format_report(report))
    assert "intent accuracy" in text and "out-of-scope recall" in text and "2/2 tasks match" in text


def test_tau2_hook_absent_prints_na() -> None:
    assert evaluate._format_tau2(None) == "n/a"
    assert evaluate._format_tau2({"available": False}).startswith("n/a")


def test_bench_triage(nlu) -> None:  # type: ignore[no-untyped-def]
    figures = bench_triage(nlu, ["Gdzie jest moja paczka?", "Where is my order?"], count=4, warmup=1)
    assert figures["count"] == 4 and 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["max_ms"]
    with pytest.raises(ValueError):
        bench_triage(nlu, [], count=1)
