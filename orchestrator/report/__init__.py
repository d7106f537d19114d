"""What a person reads: `report.json` (`contract`, the schema other tools rely on), report.md and
report.html with plots (`render`, `plots`, `tables`), `gg-train list/show` (`listing`), and the
TensorBoard HParams config, end-of-run scalars and loopback server (`tensorboard`).

It renders what `results/` computed and computes no diagnosis of its own. Never imports Ray;
TensorFlow and matplotlib only inside functions.
"""
