"""LabDocument: every edit is one undo step that restores exactly, and dataset() is what the engine needs."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QColor

from lab_app.document import ClassInfo, LabDocument
from lab_app.widgets import palette


@pytest.fixture
def doc(qapp):
    return LabDocument()


def record(signal):
    calls = []
    signal.connect(lambda *args: calls.append(args))
    return calls


def test_new_document_is_empty_2d_with_two_palette_classes(doc):
    assert doc.n_points == 0 and doc.X.shape == (0, 2) and doc.labels.dtype == np.int64
    assert doc.class_names == ("A", "B")
    assert [c.color for c in doc.classes] == list(palette.OKABE_ITO[:2])
    assert doc.mode == "2d" and doc.current_class == 0 and not doc.modified


def test_add_points_undo_redo(doc):
    changed = record(doc.pointsChanged)
    doc.add_points([[1.0, 2.0], [3.0, 4.0]], label=1)
    doc.add_points([[5.0, 6.0]])  # current class
    assert doc.n_points == 3 and doc.undo_stack.count() == 2
    np.testing.assert_array_equal(doc.labels, [1, 1, 0])
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.xy, [[1, 2], [3, 4]])
    doc.undo_stack.redo()
    np.testing.assert_array_equal(doc.xy, [[1, 2], [3, 4], [5, 6]])
    assert len(changed) == 4


def test_edits_reject_bad_input(doc):
    with pytest.raises(ValueError):
        doc.add_points([[np.nan, 0.0]])
    with pytest.raises(IndexError):
        doc.add_points([[0.0, 0.0]], label=2)
    with pytest.raises(IndexError):
        doc.remove_points([0])
    with pytest.raises(ValueError):
        doc.add_points([1.0, 2.0, 3.0])  # 2-D mode wants (k, 2)
    assert doc.undo_stack.count() == 0


def test_remove_points_undo_puts_rows_back_in_place(doc):
    xy = np.arange(12.0).reshape(6, 2)
    doc.add_points(xy[:3], 0)
    doc.add_points(xy[3:], 1)
    labels = doc.labels
    doc.remove_points([4, 0, 2])
    np.testing.assert_array_equal(doc.xy, xy[[1, 3, 5]])
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.xy, xy)
    np.testing.assert_array_equal(doc.labels, labels)


def test_moves_with_one_gesture_id_merge_into_one_step(doc):
    doc.add_points([[0.0, 0.0], [1.0, 1.0]])
    gid = doc.new_gesture_id()
    for k in range(1, 6):
        doc.move_points([0], [[k, -k]], gesture_id=gid)
    assert doc.undo_stack.count() == 2
    np.testing.assert_array_equal(doc.xy[0], [5, -5])
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.xy, [[0, 0], [1, 1]])
    doc.move_points([1], [[2.0, 2.0]])
    doc.move_points([1], [[3.0, 3.0]])  # no gesture id: separate steps
    assert doc.undo_stack.count() == 3


def test_gesture_is_one_undo_step_and_an_empty_gesture_none(doc):
    with doc.gesture("Brush stroke"):
        for k in range(4):
            doc.add_points([[k, k], [k, -k]])
    with doc.gesture("Nothing"):
        pass
    assert doc.n_points == 8 and doc.undo_stack.count() == 1
    assert doc.undo_stack.undoText() == "Brush stroke"
    doc.undo_stack.undo()
    assert doc.n_points == 0


def test_relabel_only_records_real_changes(doc):
    doc.add_points([[0.0, 0.0], [1.0, 0.0]], 0)
    doc.relabel([0, 1], 1)
    doc.relabel([0, 1], 1)
    assert doc.undo_stack.count() == 2
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.labels, [0, 0])


def test_clear_is_undoable(doc):
    doc.load_default_example()
    before = doc.xy
    doc.clear()
    assert doc.n_points == 0 and doc.n_classes == 2
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.xy, before)


def test_add_class_names_colours_and_limit(doc):
    for _ in range(6):
        doc.add_class()
    assert doc.class_names == tuple("ABCDEFGH")
    assert len({c.color for c in doc.classes}) == 8
    with pytest.raises(ValueError, match="at most 8"):
        doc.add_class()
    with pytest.raises(ValueError, match="already"):
        LabDocument().add_class("A")


def test_remove_class_removes_its_points_shifts_codes_and_undoes(doc):
    doc.add_class()
    doc.add_points([[0.0, 0.0]], 0)
    doc.add_points([[1.0, 1.0], [2.0, 2.0]], 1)
    doc.add_points([[3.0, 3.0]], 2)
    doc.set_current_class(2)
    classes = record(doc.classesChanged)
    doc.remove_class(1)
    assert doc.class_names == ("A", "C") and doc.current_class == 1 and classes
    np.testing.assert_array_equal(doc.labels, [0, 1])
    np.testing.assert_array_equal(doc.xy, [[0, 0], [3, 3]])
    doc.undo_stack.undo()
    assert doc.class_names == ("A", "B", "C")
    np.testing.assert_array_equal(doc.labels, [0, 1, 1, 2])
    doc.remove_class(2)
    with pytest.raises(ValueError, match="at least 2"):
        doc.remove_class(0)


def test_rename_and_recolour_class(doc):
    doc.rename_class(1, " dog ")
    doc.set_class_color(1, QColor("#123456"))
    assert doc.classes[1] == ClassInfo("dog", "#123456")
    with pytest.raises(ValueError):
        doc.rename_class(0, "dog")
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.classes[1].name == "B"


def test_replace_data_one_column_switches_to_1d_and_undoes(doc):
    doc.add_points([[0.5, 0.5]])
    modes = record(doc.modeChanged)
    doc.replace_data([[2.0], [3.0], [5.0]], [0, 1, 1], [0, 1], ["dose"], "outcome")
    assert doc.mode == "1d" and doc.class_names == ("0", "1") and doc.feature_names == ("dose",)
    np.testing.assert_array_equal(doc.X, [[2.0], [3.0], [5.0]])
    assert doc.xlim[0] < 2.0 and doc.xlim[1] > 5.0
    doc.undo_stack.undo()
    assert doc.mode == "2d" and doc.n_points == 1 and modes == [("1d",), ("2d",)]
    with pytest.raises(ValueError, match="at most 8"):
        doc.replace_data(np.zeros((9, 2)), np.arange(9), list(range(9)))


def test_one_class_import_gets_a_second_class(doc):
    doc.replace_data([[0.0, 1.0]], [0], ["only"])
    assert doc.class_names == ("only", "A")


def test_mode_switch_keeps_y_and_1d_edits_ignore_it(doc):
    doc.add_points([[1.0, 2.0]])
    doc.set_mode("1d")
    assert doc.X.shape == (1, 1) and doc.n_dims == 1
    doc.add_points([[4.0, 9.0]])
    doc.add_points([6.0, 7.0])  # a vector is x values in 1-D
    assert doc.n_points == 4
    doc.undo_stack.undo()
    doc.move_points([0], [[1.5, 7.0]])
    np.testing.assert_array_equal(doc.xy, [[1.5, 2.0], [4.0, 0.0]])
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.mode == "2d"
    np.testing.assert_array_equal(doc.xy, [[1.0, 2.0]])


def test_modified_follows_the_undo_stack(doc):
    flags = record(doc.modifiedChanged)
    doc.add_points([[0.0, 0.0]])
    assert doc.modified
    doc.mark_saved()
    assert not doc.modified
    doc.undo_stack.undo()
    assert doc.modified and flags == [(True,), (False,), (True,)]


def test_ranges_are_view_state_and_validated(doc):
    changed = record(doc.rangesChanged)
    doc.set_ranges((-1, 1), (0, 2))
    assert (doc.xlim, doc.ylim) == ((-1.0, 1.0), (0.0, 2.0)) and len(changed) == 1
    assert doc.undo_stack.count() == 0
    with pytest.raises(ValueError):
        doc.set_ranges((1, 1))
    doc.add_points([[10.0, 20.0], [12.0, 30.0]])
    doc.fit_ranges()
    assert doc.xlim[0] < 10 < 12 < doc.xlim[1] and doc.ylim[0] < 20 < 30 < doc.ylim[1]


def test_dataset_is_a_copy_with_class_names_as_labels(doc):
    doc.add_class()
    doc.add_points([[0.0, 1.0], [2.0, 3.0]], 1)
    doc.add_points([[4.0, 5.0]], 0)
    ds = doc.dataset()
    assert ds.classes == ("A", "B") and ds.feature_names == ("x1", "x2") and ds.label_name == "label"
    np.testing.assert_array_equal(ds.X, [[0, 1], [2, 3], [4, 5]])
    np.testing.assert_array_equal(ds.y, [1, 1, 0])
    doc.move_points([0], [[9.0, 9.0]])
    assert ds.X[0, 0] == 0.0  # a snapshot, not a view
    doc.set_mode("1d")
    assert doc.dataset().X.shape == (3, 1) and doc.dataset().feature_names == ("x1",)


def test_numeric_class_names_map_back_from_engine_order(doc):
    doc.replace_data([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], [0, 1, 2], [10, 2, 1])
    ds = doc.dataset()
    assert ds.classes == (1, 2, 10)  # the engine sorts numerically
    assert [doc.class_index(c) for c in ds.classes] == [2, 1, 0]
    assert [c.name() for c in doc.colors_for(ds.classes)] == [c.color.lower() for c in doc.classes[::-1]]


def test_default_example_is_seeded_balanced_and_clean(doc):
    doc.load_default_example(seed=3, undoable=False)
    assert doc.n_points == 120 and np.bincount(doc.labels).tolist() == [60, 60]
    assert not doc.modified and doc.undo_stack.count() == 0
    other = LabDocument()
    other.load_default_example(seed=3)
    np.testing.assert_array_equal(other.xy, doc.xy)
    assert other.undo_stack.count() == 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["add", "add3", "undo", "redo", "remove", "move", "relabel"]), max_size=25))
def test_arrays_the_document_showed_never_change_afterwards(doc, steps):
    """Whatever edits follow (adds at the end share a buffer, undone adds are cut views), every
    array the document handed out keeps the values it had."""
    doc.undo_stack.clear()
    doc.replace_data(np.arange(10.0).reshape(5, 2), [0, 1, 0, 1, 0], ["A", "B"])
    shown = []
    for i, step in enumerate(steps):
        if step.startswith("add"):
            doc.add_points(np.full((3 if step == "add3" else 1, 2), 100.0 + i), label=i % 2)
        elif step == "undo":
            doc.undo_stack.undo()
        elif step == "redo":
            doc.undo_stack.redo()
        elif doc.n_points and step == "remove":
            doc.remove_points([i % doc.n_points])
        elif doc.n_points and step == "move":
            doc.move_points([i % doc.n_points], [[-i, -i]])
        elif doc.n_points and step == "relabel":
            doc.relabel([i % doc.n_points], label=1 - int(doc.labels[i % doc.n_points]))
        for array in (doc.xy, doc.labels, doc.X, doc.data_snapshot().xy):
            shown.append((array, array.copy()))
    assert all(np.array_equal(a, copy) for a, copy in shown)


def test_class_counts_follow_edits_and_are_counted_once_per_change(doc):
    doc.replace_data(np.zeros((5, 2)), [0, 1, 1, 0, 1], ["A", "B"])
    first = doc.class_counts()
    assert first.tolist() == [2, 3] and doc.class_counts() is first  # asked again: not counted again
    doc.add_points([[1.0, 1.0]], label=0)
    assert doc.class_counts().tolist() == [3, 3]
    doc.add_class("C")
    assert doc.class_counts().tolist() == [3, 3, 0]
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.class_counts().tolist() == [2, 3] and not doc.class_counts().flags.writeable
