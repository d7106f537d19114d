"""Any header a table can have trains, exports and passes the fresh-process proof: keywords, spaces,
punctuation, accents and other Unicode, leading digits, long names, names that collide once cleaned,
names Keras or TensorFlow use themselves. The export runs through the project's own functions
(`fit_encoding` -> a model behind the encoder -> `export_best` -> `verify_export`), and
`best/inputs.json` maps every input back to its header.

Each example exports a model and starts a fresh Python for the proof (seconds), so the "ci" profile
draws a few examples beside the explicit one; HYPOTHESIS_PROFILE=long draws more.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from orchestrator.data.table import encode, fit_encoding, raw_inputs
from orchestrator.models.mlp import build_model
from orchestrator.results.export import export_best, verify_export
from orchestrator.train import checkpoint
from orchestrator.train.checkpoint import TrialState
from tests.test_fuzz_inputs import PROFILE
from tests.test_names import AWKWARD

ROWS = 24
EXAMPLES = 2 if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci" else 40
# The trained model's own name ("gg_mlp") taken by a column: the export renames the model, not the input.
HEADERS = st.one_of(st.sampled_from(AWKWARD + ["gg_mlp", "GG_MLP", "features", "scaling", "output"]), st.text(min_size=1, max_size=70))


def table(headers: list[str]) -> pd.DataFrame:
    """Numbers (one empty cell each) and text in turn, so both kinds of input carry the awkward names."""
    rng = np.random.default_rng(len(headers))
    columns = []
    for k in range(len(headers)):
        if k % 2:
            columns.append(pd.Series(rng.choice(["red", "green", "blue"], ROWS), dtype=object))
        else:
            values = rng.normal(size=ROWS)
            values[k % ROWS] = np.nan
            columns.append(pd.Series(values))
    frame = pd.concat(columns, axis=1)
    frame.columns = headers
    return frame


def export_and_prove(headers: list[str], root: Path) -> tuple[dict, dict]:
    """(the proof, best/inputs.json) of a small model behind the encoder of a table with these headers."""
    frame = table(headers)
    encoding = fit_encoding(frame, np.arange(ROWS))
    inputs = raw_inputs(frame, encoding)
    x = encode(encoding, inputs)
    keras.utils.set_random_seed(0)
    model = build_model(hidden=[4], l2=0.0, dropout=0.0, n_features=x.shape[1], n_classes=2,
                        mean=x.mean(axis=0), variance=x.var(axis=0) + 1.0)
    ckpt = root / "checkpoint"
    checkpoint.save(ckpt, model, TrialState(epoch=1, variant="baseline"))
    exp_dir = root / "exp"
    exp_dir.mkdir()
    export_best(exp_dir, str(ckpt), {"variant": "baseline"}, encoding)
    proof = verify_export(exp_dir, inputs, model.predict(x, verbose=0))
    return proof, json.loads((exp_dir / "best" / "inputs.json").read_text(encoding="utf-8"))


@settings(PROFILE, max_examples=EXAMPLES)
@given(st.lists(HEADERS, min_size=2, max_size=8, unique=True))
@example(["class", "def", "my col", "1st-place", "naïve score", "a.b", "x/y", "None", "lambda", "for", "self",
          "encoding", "gg_mlp", "a b", "a_b", "A_B", "a", "a ", "年龄", "x" * 300])
def test_any_headers_export_and_pass_the_fresh_process_proof(headers):
    with tempfile.TemporaryDirectory(prefix="gg-names-") as tmp:
        proof, described = export_and_prove(headers, Path(tmp))
    assert proof["verified"] is True
    by_input = {c["input"]: c["column"] for c in described["columns"]}
    assert sorted(by_input.values()) == sorted(headers)  # every header is an input, under a name mapped back to it
    assert {i["name"] for i in described["inputs"]} == set(by_input)
