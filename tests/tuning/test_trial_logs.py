"""An errored trial's traceback is kept in the experiment's logs/trials/ and summarized in one line."""

from __future__ import annotations

from types import SimpleNamespace

from orchestrator.tuning.trial_logs import kept_error


def _trial(error_file) -> SimpleNamespace:
    return SimpleNamespace(error_file=str(error_file) if error_file else None, config={"variant": "l2"}, trial_id="ab12c_00001")


def test_the_traceback_is_copied_and_its_last_line_shortened(tmp_path):
    source = tmp_path / "error.txt"
    source.write_text("Failure # 1 (occurred at now)\nTraceback (most recent call last):\n  File \"x.py\", line 1\n"
                      "orchestrator.errors.ModelError: " + "the builder raised " * 20 + "\n\n", encoding="utf-8")
    kept = kept_error(_trial(source), str(tmp_path / "logs" / "trials"))
    assert kept["log"] == str(tmp_path / "logs" / "trials" / "l2_ab12c_00001.log")
    assert (tmp_path / "logs" / "trials" / "l2_ab12c_00001.log").read_text() == source.read_text()
    assert kept["error"].startswith("ModelError: the builder raised") and len(kept["error"]) == 160 and kept["error"].endswith("…")


def test_a_trial_without_an_error_file_keeps_nothing(tmp_path):
    assert kept_error(_trial(None), str(tmp_path)) == {}
    assert kept_error(_trial(tmp_path / "absent.txt"), str(tmp_path)) == {}
    assert list(tmp_path.iterdir()) == []
