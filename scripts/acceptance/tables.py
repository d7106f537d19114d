"""Public tables for the acceptance runs: digits 'is it an 8?' at 5% positives, breast cancer clean and with planted columns."""
import numpy as np, pandas as pd
from sklearn.datasets import load_breast_cancer, load_digits
rng = np.random.default_rng(0)
d = load_digits(as_frame=True).frame
pos, neg = d[d.target == 8], d[d.target != 8]
keep = pos.sample(n=int(0.05 / 0.95 * len(neg)), random_state=0)
digits = pd.concat([neg, keep]).sample(frac=1, random_state=0)
digits["is_eight"] = np.where(digits.pop("target") == 8, "eight", "other")
digits.to_csv("digits8.csv", index=False)
print("digits8", len(digits), (digits.is_eight == "eight").mean())
bc = load_breast_cancer(as_frame=True).frame.rename(columns=lambda c: c.replace(" ", "_"))
bc["diagnosis"] = np.where(bc.pop("target") == 1, "benign", "malignant")
bc.to_csv("cancer.csv", index=False)
planted = bc.copy()
label = (planted["diagnosis"] == "malignant").astype(float)
planted.insert(0, "leak_score", label + rng.normal(scale=0.1, size=len(label)))
planted.insert(1, "pure_noise", rng.normal(size=len(label)))
planted.insert(2, "radius_copy", planted["mean_radius"])
planted.to_csv("cancer_planted.csv", index=False)
print("planted", planted.shape)
