"""Fitting the paragraph model of ``crawler/extraction/blocks.py``, cross-checked.

``python -m benchmarks.extraction_fit`` reads both development sets with
demarche, records every paragraph the model is shown (with its features),
labels those the set's ground truth can tell, fits a logistic regression
on each set alone and on both, and scores each set with the weights fitted
on the other set only (and with no paragraph model, for comparison).
``--write`` saves the weights fitted on both sets into
``crawler/extraction/block_model.json``. ``make bench-extract`` runs the
same cross-check and prints its figures.

Labels:

- ``dev``: a paragraph is article text when 80 % of its word pairs are in
  the page's ground-truth text, chrome when under 20 % are; between, or
  without a word pair, it is not used.
- ``snippets``: a paragraph holding (or held by) one of the page's
  must-keep snippets is article text, one holding (or held by) a must-drop
  snippet is chrome; the others are not used.

Each set weighs the same in a fit on both, whatever its number of
paragraphs. numpy (already installed with the project's dependencies) does
the arithmetic; the shipped model needs none of it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field

import numpy as np

from benchmarks.extraction_sets import (
    SHARED_EVAL,
    EvalSet,
    PageRejected,
    Predictions,
    Row,
    demarche,
    dev_set,
    snippets_set,
)
from crawler.extraction import blocks

# Ridge on the weights: the sets are small, the features many.
L2 = 1.0


@dataclass
class Recorder:
    """Stands in for the model: keeps every paragraph, notes what it saw."""

    pages: dict[str, list[tuple[str, list[float]]]] = field(default_factory=dict)
    page_id: str = ""

    def record(self, lines: list[str], vectors: list[list[float]]) -> None:
        self.pages[self.page_id] = list(zip(lines, vectors, strict=True))


def run_demarche(evalset: EvalSet, model: object | None) -> Predictions:
    """demarche over one set with ``model`` in place of the shipped one."""
    token = blocks.model_override.set(model)
    preds: Predictions = {}
    try:
        for page_id in evalset.ids:
            if isinstance(model, Recorder):
                model.page_id = page_id
            record: dict[str, object] = {"id": page_id, "text": None, "error": None, "ms": 0.0}
            try:
                record["text"] = demarche(evalset.read(page_id), evalset.urls[page_id])["text"]
            except PageRejected as exc:
                record["error"] = str(exc)
            except Exception as exc:  # noqa: BLE001 - a failed page is a result
                record["error"] = f"{type(exc).__name__}: {exc}"[:300]
            preds[page_id] = record
    finally:
        blocks.model_override.reset(token)
    return preds


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def dev_labels(recorder: Recorder) -> tuple[list[list[float]], list[int]]:
    from benchmarks.extraction_sets import load_module

    scorer = load_module(SHARED_EVAL / "score_extraction.py", "score_extraction")
    truth = scorer.load_truth(SHARED_EVAL / "dev")
    xs, ys = [], []
    for page_id, seen in recorder.pages.items():
        true_tokens = scorer.tokens(truth[page_id]["_target"])
        true_pairs = set(zip(true_tokens, true_tokens[1:], strict=False))
        for line, vector in seen:
            tokens = scorer.tokens(line)
            pairs = set(zip(tokens, tokens[1:], strict=False))
            if not pairs:
                continue
            share = len(pairs & true_pairs) / len(pairs)
            if share >= 0.8 or share < 0.2:
                xs.append(vector)
                ys.append(int(share >= 0.8))
    return xs, ys


def snippet_labels(recorder: Recorder) -> tuple[list[list[float]], list[int]]:
    gold_path = SHARED_EVAL / "snippets" / "snippets.jsonl"
    gold = {str(g["id"]): g for g in map(json.loads, gold_path.read_text(encoding="utf-8").splitlines())}
    xs, ys = [], []
    for page_id, seen in recorder.pages.items():
        keep = [_norm(s) for s in gold[page_id]["with"]]
        drop = [_norm(s) for s in gold[page_id]["without"]]
        for line, vector in seen:
            text = _norm(line)
            if len(text) < 4:
                continue

            def touches(snippets: list[str], text: str = text) -> bool:
                return any(s and (s in text or (len(text) >= 10 and text in s)) for s in snippets)

            good, bad = touches(keep), touches(drop)
            if good != bad:
                xs.append(vector)
                ys.append(int(good))
    return xs, ys


def fit(parts: list[tuple[list[list[float]], list[int]]]) -> blocks.Model:
    """Logistic regression (Newton's method, L2), each part weighing the same."""
    x = np.array([v for xs, _ in parts for v in xs], dtype=float)
    y = np.array([label for _, ys in parts for label in ys], dtype=float)
    weight = np.concatenate([np.full(len(ys), len(y) / (len(parts) * len(ys))) for _, ys in parts])
    x = np.hstack([x, np.ones((len(x), 1))])
    beta = np.zeros(x.shape[1])
    ridge = np.eye(x.shape[1]) * L2
    ridge[-1, -1] = 0.0  # the bias is not shrunk
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -30, 30)))
        gradient = x.T @ (weight * (p - y)) + ridge @ beta
        hessian = (x * (weight * p * (1 - p))[:, None]).T @ x + ridge
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return blocks.Model(tuple(float(b) for b in beta[:-1]), float(beta[-1]))


@dataclass
class CrossFit:
    lines: list[str]
    models: dict[str, blocks.Model]


def cross_fit(dev: EvalSet, snippets: EvalSet) -> CrossFit:
    """Fit on each set and on both; score each set with the other's weights."""
    labelled, unfiltered = {}, {}
    for evalset, labeller in ((dev, dev_labels), (snippets, snippet_labels)):
        recorder = Recorder()
        # The recorder keeps every paragraph: these are the figures without the model.
        unfiltered[evalset.name] = evalset.score("demarche (none)", run_demarche(evalset, recorder))
        labelled[evalset.name] = labeller(recorder)
    models = {name: fit([labelled[name]]) for name in labelled}
    models["both"] = fit(list(labelled.values()))
    lines = ["", "**Paragraph model, cross-fitted** (`crawler/extraction/blocks.py`; "
             "labelled paragraphs: " + ", ".join(f"{n} {len(ys)} ({sum(ys)} article)"
                                                 for n, (_, ys) in labelled.items()) + ").", "",
             "| set | no paragraph model | fitted on the other set only | fitted on both |",
             "| --- | --- | --- | --- |"]
    for evalset, other in ((dev, snippets.name), (snippets, dev.name)):
        rows: list[Row] = [unfiltered[evalset.name], *(
            evalset.score(f"demarche ({label})", run_demarche(evalset, model))
            for label, model in (("other", models[other]), ("both", models["both"])))]
        lines.append(f"| {evalset.name} | " + " | ".join(
            f"{r.f1:.3f} (P {r.precision:.3f} R {r.recall:.3f})" for r in rows) + " |")
    return CrossFit(lines, models)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true",
                        help=f"save the weights fitted on both sets into {blocks.MODEL_FILE.name}")
    args = parser.parse_args(argv)
    result = cross_fit(dev_set(), snippets_set())
    print("\n".join(result.lines))
    for name, model in result.models.items():
        print(name, json.dumps(model.to_json()["weights"]), f"bias {model.bias:.3f}", file=sys.stderr)
    if args.write:
        blocks.MODEL_FILE.write_text(json.dumps(result.models["both"].to_json(), indent=1) + "\n",
                                     encoding="utf-8")
        print(f"written to {blocks.MODEL_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
