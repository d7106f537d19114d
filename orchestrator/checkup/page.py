"""`runs/NAME/doctor.html`: doctor.json as a page a person would rather look at than read, rendered
from it alone. Self-contained like launch's report.html (the same blocks and `report.render.to_html`):
pictures inline as base64 PNG, CSS inline, no scripts, no external requests, every text escaped."""

from __future__ import annotations

from orchestrator.checkup.plots import doctor_plots
from orchestrator.checkup.references import reference_rows
from orchestrator.report.render import to_html

CAPTIONS = {
    "accuracy": "Accuracy of the model as it is on each split, of the scikit-learn references on test, and of the "
                "repaired model on test, with 95% intervals: train far above test is overfitting, all low is underfitting.",
    "confusion_as_given": "The test confusion matrix with the labels as the test file spells them.",
    "confusion_remapped": "The same rows with each test label read as the class the best assignment says it means "
                          "(label_mapping): a diagonal here and not above means the test file numbers the classes differently.",
    "drift": "Drift per column: how well each column alone tells training rows from test rows (0.5: not at all).",
    "transforms": "Accuracy on the training rows as given and after each input transform users apply outside models: "
                  "a large rise means the model was trained on transformed inputs (preprocessing_mismatch).",
}


def _scores_rows(report: dict) -> list[list[str]]:
    def interval(s: dict) -> str:
        low, high = s["accuracy_interval"]
        return f"{s['accuracy']:.3f} [{low:.3f}, {high:.3f}]"

    rows = [[split, str(s["n"]), interval(s), f"{s['balanced_accuracy']:.3f}"] for split, s in report["as_is"].items() if s]
    return rows + [[name, str(s["n"]), interval(s), ""] for name, s in reference_rows(report)]


def _blocks(report: dict, images: dict) -> list[tuple]:
    model, primary, repaired = report["model"], report["primary"], report.get("repaired")
    blocks = [("h", 1, f"Why does {model['path']} score low on test?"),
              ("p", f"Primary cause: {primary or 'none confirmed'}."
                    + (f" Repaired: {repaired['path']} ({'verified in a fresh process' if repaired['verified'] else 'not verified'})."
                       if repaired else "") + (f" The way on: {report['next']}" if report.get("next") else "")),
              ("h", 2, "As it is"),
              ("table", ["split", "rows", "accuracy [95% interval]", "balanced accuracy"], _scores_rows(report))]
    blocks += [("img", name, CAPTIONS[name]) for name in CAPTIONS if name in images]
    blocks += [("h", 2, "Findings"),
               ("table", ["cause", "verdict", "what was found", "rule"],
                [[f["cause"], f["verdict"].replace("_", " "), f["summary"], f["rule"]] for f in report["findings"]])]
    return blocks


def render_html(report: dict) -> str:
    images = {name: png for name, png in doctor_plots(report).items() if png}
    return to_html(_blocks(report, images), images, f"gg-train doctor: {report['model']['path']}")
