"""Lesson files: checked parsing (errors name file, step and field), checks, templates, quantities."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import resources
from engine import TrainConfig, Trainer
from engine.generators import glm6
from engine.lesson_checks import INDEXED, QUANTITIES, Check, LabState, check_template, lab_quantities, render
from engine.lessons import (
    LessonError,
    build_dataset,
    find_lesson,
    lesson_catalog,
    load_lesson,
    parse_lesson,
)
from engine.reference import fit_reference, glm_statistics

MINIMAL = {
    "format": "logit-lab-lesson",
    "version": 1,
    "title": "T",
    "steps": [
        {
            "title": "First",
            "data": {"generator": "glm6"},
            "config": {"model": "logistic", "epochs": 10},
            "text": "Train.",
            "show_me": [{"train": True}],
            "checks": [{"quantity": "epoch", "min": 10}],
            "record": {"e1": "epoch"},
            "explain": "Trained {epoch:d} epochs.",
        },
        {
            "title": "Second",
            "text": "Again.",
            "checks": [{"quantity": "epoch", "ratio_to": "e1", "min": 1}],
            "explain": "{e1:d} then {epoch:d}.",
        },
    ],
}


def parse(doc, source="my.json"):
    return parse_lesson(json.dumps(doc), source)


def broken(path, value):
    """MINIMAL with the field at ``path`` (keys and indices) set to ``value``."""
    doc = copy.deepcopy(MINIMAL)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


# ------------------------------------------------------------------------------ shipped lessons
SHIPPED = lesson_catalog(resources.LESSONS)


def test_every_shipped_lesson_reads_and_can_be_played():
    files = sorted(resources.LESSONS.glob("*.json"))
    assert len(SHIPPED) == len(files) >= 7  # none was skipped as unreadable
    names = [name for name, _t, _p in SHIPPED]
    assert len(set(names)) == len(names)
    for _name, _title, path in SHIPPED:
        lesson = load_lesson(path)
        assert lesson.steps[0].data is not None and lesson.steps[0].config is not None, path
        for step in lesson.steps:
            assert step.show_me and step.checks, (path, step.title)  # "Show me" can pass every step


def test_find_lesson_by_name_number_or_file(tmp_path):
    assert find_lesson(resources.LESSONS, "four_tools").name == "01_four_tools.json"
    assert find_lesson(resources.LESSONS, "01_four_tools").name == "01_four_tools.json"
    own = tmp_path / "mine.json"
    own.write_text(json.dumps(MINIMAL), encoding="utf-8")
    assert find_lesson(resources.LESSONS, str(own)) == own
    assert load_lesson(own).name == "mine"
    with pytest.raises(LessonError, match=r"no lesson called 'nope'.*four_tools"):
        find_lesson(resources.LESSONS, "nope")


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (
            ("steps", 0, "checks", 0, "quantity"),
            "cof[0]",
            "step 1 (First), field 'checks[0]': unknown quantity 'cof[0]'",
        ),
        (("steps", 0, "config", "lr"), -1, "step 1 (First), field 'config': learning rate must be a positive"),
        (("steps", 0, "config", "speed"), 3, "step 1 (First), field 'config.speed': not a training setting"),
        (("steps", 0, "show_me", 0), {"run": "rm -rf /"}, "field 'show_me[0]': unknown action 'run'"),
        (("steps", 0, "explain"), "{epoch.__class__}", "field 'explain': {epoch.__class__} is not a quantity"),
        (("steps", 0, "explain"), "{epoch!r}", "field 'explain'"),
        (("steps", 0, "data"), {"generator": "moons", "n": 1}, "field 'data.n': must be a whole number from 2"),
        (("steps", 0, "data"), {"example": "../../etc/passwd"}, "field 'data.example'"),
        (("steps", 0, "data"), {"preset": "nope"}, "field 'data.preset': unknown preset 'nope'"),
        (("steps", 1, "text"), "", "step 2 (Second), field 'text': must be a non-empty text"),
        (("steps", 1, "wait_for"), "later", "step 2 (Second), field 'wait_for'"),
        (("steps", 0, "checks", 0), {"quantity": "epoch", "near": 1}, "near needs tol"),
        (("steps", 0, "record"), {"epoch": "epoch"}, "field 'record.epoch'"),
        (("title",), 3, "my.json, field 'title'"),
        (("steps",), [], "my.json, field 'steps'"),
    ],
)
def test_errors_name_the_file_the_step_and_the_field(path, value, where):
    with pytest.raises(LessonError) as err:
        parse(broken(path, value))
    assert str(err.value).startswith("my.json")
    assert where in str(err.value)


def test_a_recorded_name_is_known_only_after_the_step_that_records_it():
    doc = broken(("steps", 0, "record"), {})
    with pytest.raises(LessonError, match=r"step 2 \(Second\), field 'checks\[0\]': ratio_to: unknown quantity 'e1'"):
        parse(doc)


def test_not_a_lesson_and_bad_json_say_so(tmp_path):
    with pytest.raises(LessonError, match="not a lesson file"):
        parse_lesson('{"format": "logit-lab-session"}', "s.json")
    with pytest.raises(LessonError, match="line 1, column 2"):
        parse_lesson("{oops", "x.json")
    bad = tmp_path / "b.json"
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(LessonError, match=r"b\.json"):
        load_lesson(bad)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**6) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


_ALL_PATHS = [p for p in _paths(MINIMAL) if p]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from(_ALL_PATHS), _JSON)
def test_any_field_replaced_by_any_json_parses_or_fails_with_a_named_error(path, value):
    """A lesson file is data: whatever a field holds, reading it never raises anything but a
    LessonError that names the file."""
    try:
        lesson = parse(broken(path, value))
    except LessonError as exc:
        assert str(exc).startswith("my.json")
    else:
        assert len(lesson.steps) == 2


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(QUANTITIES))
    | st.builds(lambda n, i: f"{n}[{i}]", st.sampled_from(sorted(INDEXED)), st.integers(0, 9)),
    st.floats(-1e6, 1e6),
    st.floats(0, 1e3),
)
def test_generated_checks_and_templates_round_trip(quantity, near, tol):
    doc = broken(("steps", 0, "checks"), [{"quantity": quantity, "near": near, "tol": tol}])
    doc["steps"][0]["explain"] = f"Value {{{quantity}:.3g}} and {{{quantity}}}."
    step = parse(doc).steps[0]
    assert step.checks == (Check(quantity, near=near, tol=tol),)
    text = render(step.explain, {quantity: near})
    assert text == f"Value {near:.3g} and {near:.6g}."


# ------------------------------------------------------------------------------ checks and templates
def test_checks_compare_numbers_flags_texts_and_ratios():
    values = {"coef[0]": 0.5518, "diverged": True, "stopped_because": "converged", "se[0]": 0.2, "old": 0.4}
    assert Check("coef[0]", near=0.551776, tol=1e-3).evaluate(values).ok
    miss = Check("coef[0]", near=0.6, tol=1e-3).evaluate(values)
    assert not miss.ok and miss.message == "coef[0] = 0.5518, expected 0.6 ± 0.001"
    assert Check("diverged", equals=True).evaluate(values).ok
    assert not Check("diverged", equals=1).evaluate(values).ok  # true is not the number 1
    assert Check("stopped_because", equals="converged").evaluate(values).ok
    assert Check("se[0]", ratio_to="old", near=0.5, tol=1e-9).evaluate(values).ok
    assert not Check("se[0]", min=0.3).evaluate(values).ok
    missing = Check("deviance", max=1).evaluate(values)
    assert not missing.ok and missing.message == "deviance is not available yet"
    assert not Check("coef[0]", max=1).evaluate({"coef[0]": float("nan")}).ok


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["", ".3f", ".2e", "+.2f", ".1%", "d", ",.0f"]),
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats() | st.text(max_size=8),
)
def test_render_never_fails_whatever_the_value(spec, value):
    template = f"x = {{coef[0]:{spec}}}." if spec else "x = {coef[0]}."
    check_template(template)
    text = render(template, {"coef[0]": value})
    assert text.startswith("x = ") and text.endswith(".")


def test_templates_only_name_quantities_and_render_missing_values_as_a_dash():
    check_template("w = {coef[0]:.4f}, {{braces}}, {train_accuracy:.1%}, {epoch:d}")
    for bad in ("{__import__}", "{coef[0].real}", "{epoch:{width}}", "{coef[99]}", "{"):
        with pytest.raises(ValueError):
            check_template(bad)
    assert render("{deviance:.3f} / {mode}", {"mode": "1d"}) == "— / 1d"


def test_quantities_of_the_glm_example_match_glm():
    d = glm6()
    config = TrainConfig(
        model="logistic", standardize=False, optimizer="adam", lr=0.05, batch_size=0, epochs=3000, dtype="float64"
    )
    trainer = Trainer(d, config)
    trainer.fit()
    ref = fit_reference(d.X, d.y, 2)
    glm = glm_statistics(d.X, d.y, ref.coef, ref.intercept)
    q = lab_quantities(
        LabState(
            config=config, model=trainer.model, reports=trainer.history, epoch=trainer.epoch, reference=ref, glm=glm
        )
    )
    assert q["coef[0]"] == pytest.approx(0.551775920706039, abs=1e-5)
    assert q["intercept"] == pytest.approx(-3.54907067213626, abs=1e-4)
    assert q["threshold_x"] == pytest.approx(3.54907067213626 / 0.551775920706039, rel=1e-4)
    assert q["log_likelihood"] == pytest.approx(-2.35340, abs=1e-5)
    assert q["se[0]"] == pytest.approx(np.sqrt(glm.covariance[1, 1]))
    assert q["se_intercept"] == pytest.approx(np.sqrt(glm.covariance[0, 0]))
    assert q["coef_gap"] < 1e-4 and q["model"] == "logistic" and q["epoch"] == 3000
    assert set(QUANTITIES) <= set(q)


def test_generated_columns_can_be_scaled_shifted_and_renamed():
    doc = broken(
        ("steps", 0, "data"),
        {"generator": "two_gaussians", "n": 50, "scale": [1, 100], "shift": [0, 3000], "feature_names": ["a", "b"]},
    )
    spec = parse(doc).steps[0].data
    data, truth = build_dataset(spec, resources.EXAMPLES)
    plain, _ = build_dataset(
        parse(broken(("steps", 0, "data"), {"generator": "two_gaussians", "n": 50})).steps[0].data, "."
    )
    assert truth is None and data.feature_names == ("a", "b")
    np.testing.assert_allclose(data.X, plain.X * [1, 100] + [0, 3000])
    np.testing.assert_array_equal(data.y, plain.y)
    with pytest.raises(LessonError, match="one entry per column"):
        parse(broken(("steps", 0, "data"), {"generator": "two_gaussians", "scale": [1, 2, 3]}))


def test_docs_list_every_quantity():
    text = (resources.ROOT.parent / "docs" / "lessons.md").read_text(encoding="utf-8")
    for name in QUANTITIES:
        assert f"| `{name}` |" in text, name
    for name in INDEXED:
        assert f"| `{name}[i]` |" in text, name
