"""LogisticRegression(class_weight='balanced') on the very split gg-train used, against the winner."""
import json, sys
from pathlib import Path
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.metrics import f1_score
from orchestrator.config import load_config
from orchestrator.data import load_dataset

exp = Path(sys.argv[1])
cfg = load_config(exp / "experiment.yaml")
ds = load_dataset(cfg.data, cfg.seed)
r = json.loads((exp / "report.json").read_text())
counts = ds.train.class_counts(ds.n_classes); k = int(np.argmin(counts))
lr = make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=5000)).fit(ds.train.x, ds.train.y)
f_lr = f1_score(ds.test.y == k, lr.predict(ds.test.x) == k)
best = r["best"]; th = best.get("threshold") or {}
print(f"minority class {k} share {counts[k]/sum(counts):.3f}; n_test {len(ds.test)}")
print(f"LR balanced F1 {f_lr:.3f}")
print(f"winner {best['variant']}: F1 at 0.5 {best['test']['per_class'][k]['f1']:.3f}; at tuned {th.get('value')}: {((th.get('tuned') or {}).get('test') or {}).get('f1')}")
print("headline:", r["diagnosis"]["summary"][:3])
