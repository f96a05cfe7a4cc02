"""engine.data and engine.csv_io: Dataset, CSV reading and writing, and the DataError messages users see."""

import errno
import math
import os
import stat

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import resources
from engine import csv_io
from engine.csv_io import preview_csv, read_csv, read_csv_text, write_csv
from engine.data import (
    DataError,
    Dataset,
    require_classes,
    sort_classes,
)


def error_of(text, **kwargs):
    with pytest.raises(DataError) as info:
        read_csv_text(text, source="data.csv", **kwargs)
    return info.value


def bits(array):
    return np.ascontiguousarray(array, dtype=np.float64).view(np.uint64)


# --------------------------------------------------------------------------- errors, one per kind


@pytest.mark.parametrize("text", ["", b"", "  \n\n", "\ufeff", b"\xef\xbb\xbf\r\n"])
def test_empty_file(text):
    error = error_of(text)
    assert error.line == 1 and error.path == "data.csv"
    assert str(error).startswith("data.csv, line 1: the file is empty.")


def test_binary_file_names_line_of_first_nul():
    error = error_of(b"x,label\n1,a\n\x00\x01\x02PK")
    assert error.line == 3
    assert "data.csv, line 3" in str(error) and "binary" in str(error)


def test_header_only():
    error = error_of("x1,x2,label\r\n")
    assert error.line == 2
    assert "no data rows" in str(error) and "line 2" in str(error)


def test_ragged_row():
    error = error_of("x1,x2,label\n1,2,a\n3,4,b\n5,6\n7,8,a\n")
    assert error.line == 4 and error.column is None
    assert "line 4: this row has 2 fields but the header has 3" in str(error)


def test_ragged_row_after_quoted_line_break_counts_physical_lines():
    error = error_of('x1,label\n1,"two\nlines"\n2,b\n3,c,extra\n')
    assert error.line == 5


def test_non_numeric_cell_names_line_column_and_value():
    error = error_of("x1,x2,label\n1,2,a\n3,4,b\n5,abc,a\n")
    assert (error.line, error.column, error.column_number, error.value) == (4, "x2", 2, "abc")
    assert "data.csv, line 4, column 2 'x2': 'abc' is not a number" in str(error)


def test_decimal_comma_gets_a_hint():
    error = error_of("x1;x2;label\n1,5;2;a\n2;3;b\n")
    assert (error.line, error.column_number) == (2, 1)
    assert "decimal separator" in str(error)


def test_empty_feature_cell():
    error = error_of("x1,x2,label\n1,2,a\n3,,b\n")
    assert (error.line, error.column) == (3, "x2")
    assert "the cell is empty" in str(error)


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-Infinity", "1e999"])
def test_nan_or_infinite_value(value):
    error = error_of(f"x1,x2,label\n1,2,a\n3,{value},b\n")
    assert (error.line, error.column, error.column_number, error.value) == (3, "x2", 2, value)
    assert "not a finite number" in str(error)


@pytest.mark.parametrize("label", ["", "  ", "nan"])
def test_missing_label(label):
    error = error_of(f"x1,x2,label\n1,2,a\n3,4,{label}\n5,6,b\n")
    assert (error.line, error.column, error.column_number) == (3, "label", 3)
    assert "data.csv, line 3, column 3 'label'" in str(error) and "missing" in str(error)


def test_no_feature_column():
    error = error_of("name,city,label\nann,rome,a\nbob,oslo,b\n")
    assert error.line == 1
    assert "no numeric feature column" in str(error)
    assert "'name' (line 2: 'ann')" in str(error)


def test_single_column_has_no_feature_column():
    assert "no numeric feature column" in str(error_of("label\na\nb\n"))


@pytest.mark.parametrize("kwargs, name", [({"x_columns": ["x1", "x9"]}, "x9"), ({"label_column": "kind"}, "kind")])
def test_unknown_column_name(kwargs, name):
    error = error_of("x1,x2,label\n1,2,a\n", **kwargs)
    assert error.line == 1 and error.value == name
    assert f"there is no column {name!r}; the columns are 'x1', 'x2', 'label'" in str(error)


def test_duplicate_column_names():
    error = error_of("x,y,x,label\n1,2,3,a\n")
    assert (error.line, error.column, error.column_number) == (1, "x", 3)
    assert "also used by column 1" in str(error)


def test_header_row_is_required():
    error = error_of("1,2,0\n3,4,1\n")
    assert error.line == 1 and "header line" in str(error)


def test_unnamed_columns_are_row_names_not_data():
    r_style = '"","x","label"\n"1",0.5,"a"\n"2",1.5,"b"\n'  # R's write.csv
    pandas_style = ",x,label\n0,0.5,a\n1,1.5,b\n"  # pandas' to_csv
    for text in (r_style, pandas_style):
        ds = read_csv_text(text)
        assert ds.feature_names == ("x",) and ds.X.tolist() == [[0.5], [1.5]] and ds.classes == ("a", "b")
    error = error_of(",x,label\n0,0.5,a\n1,oops,b\n")
    assert (error.line, error.column, error.column_number) == (3, "x", 2)  # the file's column number


def test_label_cannot_also_be_a_feature():
    error = error_of("x1,x2,label\n1,2,0\n", x_columns=["x1", "label"], label_column="label")
    assert error.column == "label"


def test_bad_quoting_is_a_data_error():
    error = error_of('x1,label\n1,"' + "a" * 200_000 + '"\n')
    assert error.line == 2


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="cannot open the file") as info:
        read_csv(tmp_path / "nope.csv")
    assert info.value.path == str(tmp_path / "nope.csv")


def test_require_classes():
    one = Dataset.from_labels([[0.0], [1.0]], ["a", "a"])
    with pytest.raises(DataError, match=r"data\.csv has only one class 'a'; training needs at least 2"):
        require_classes(one, source="data.csv")
    two = Dataset.from_labels([[0.0], [1.0]], ["a", "b"])
    require_classes(two)
    with pytest.raises(DataError, match="only one class 'b'"):
        require_classes(two.subset([1]))


# --------------------------------------------------------------------------- reading


def test_example_file_reads():
    ds = read_csv(str(resources.example("glm6.csv")))
    assert ds.X[:, 0].tolist() == [2, 3, 5, 7, 11, 13]
    assert ds.y.tolist() == [0, 0, 1, 0, 1, 1]
    assert (ds.classes, ds.feature_names, ds.label_name) == ((0, 1), ("x",), "y")


@pytest.mark.parametrize(
    "raw",
    [
        b"\xef\xbb\xbfx1,x2,label\n1.5,2,a\n3,4,b\n",  # UTF-8 with BOM
        b"x1,x2,label\r\n1.5,2,a\r\n3,4,b\r\n",  # CRLF
        b"x1;x2;label\n1.5;2;a\n3;4;b\n",  # semicolon
        b"x1\tx2\tlabel\n1.5\t2\ta\n3\t4\tb\n",  # tab
        b'"x1","x2","label"\r\n"1.5","2","a"\r\n"3","4","b"\r\n',  # quoted everything
        b"\n\nx1 , x2 , label\n\n1.5, 2, a\n,,\n3,4,b\n\n",  # blank lines, spaces, empty spreadsheet row
        "x1,x2,label\n1.5,2,a\n3,4,b\n".encode("utf-16"),  # UTF-16 with BOM (Excel "Unicode text")
    ],
)
def test_encodings_and_delimiters(raw):
    ds = read_csv_text(raw)
    assert ds.X.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert ds.classes == ("a", "b") and ds.y.tolist() == [0, 1]
    assert ds.feature_names == ("x1", "x2")


def test_latin1_fallback(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("x;espèce\n1;café\n2;thé\n".encode("latin-1"))
    ds = read_csv(path)
    assert ds.classes == ("café", "thé") and ds.label_name == "espèce"
    assert preview_csv(path).encoding == "latin-1"


def test_utf8_with_non_ascii():
    ds = read_csv_text("x,label\n1,café\n2,naïve\n".encode())
    assert ds.classes == ("café", "naïve")


def test_quoted_fields_with_delimiters_and_line_breaks():
    ds = read_csv_text('x,label\n1,"a, b"\n2,"say ""hi"""\n3,"two\r\nlines"\n')
    assert ds.labels().tolist() == ["a, b", 'say "hi"', "two\r\nlines"]


def test_semicolon_file_with_commas_in_labels():
    ds = read_csv_text("x;y;label\n1;2;a, b\n3;4;c\n")
    assert ds.X.tolist() == [[1, 2], [3, 4]] and ds.classes == ("a, b", "c")


def test_label_column_by_name_any_case_else_last():
    assert read_csv_text("Species,x1,x2\na,1,2\nb,3,4\n").label_name == "Species"
    assert read_csv_text("x1,TARGET,x2\n1,a,2\n").label_name == "TARGET"
    assert read_csv_text("x1,x2,outcome\n1,2,0\n").label_name == "outcome"
    ds = read_csv_text("x1,x2,outcome\n1,2,0\n", label_column="x1")
    assert ds.label_name == "x1" and ds.feature_names == ("x2", "outcome")


def test_features_skip_text_columns_unless_chosen():
    text = "id,x1,name,x2,label\n1,0.5,ann,2,a\n2,1.5,bob,3,b\n"
    assert read_csv_text(text).feature_names == ("id", "x1", "x2")
    assert read_csv_text(text, x_columns=["x2", "x1"]).X.tolist() == [[2, 0.5], [3, 1.5]]
    error = error_of(text, x_columns=["name"])
    assert (error.line, error.column_number, error.value) == (2, 3, "ann")


def test_numeric_labels_sort_numerically_as_ints():
    ds = read_csv_text("x,label\n1,10\n2,2\n3,1\n4,2.0\n5,1e1\n")
    assert ds.classes == (1, 2, 10)
    assert all(type(c) is int for c in ds.classes)
    assert ds.y.tolist() == [2, 1, 0, 1, 2]
    assert ds.labels().tolist() == [10, 2, 1, 2, 10]


def test_float_and_string_labels():
    assert read_csv_text("x,label\n1,0.5\n2,-1\n3,0.25\n").classes == (-1, 0.25, 0.5)
    assert read_csv_text("x,label\n1,b\n2,a\n3,10\n4,9\n").classes == ("10", "9", "a", "b")


def test_sort_classes():
    assert sort_classes([10, 2, 1, 2.0]) == [1, 2, 10]
    assert sort_classes(["10", "2", " 1 "]) == [1, 2, 10]
    assert sort_classes([np.int64(3), np.float64(0.5)]) == [0.5, 3]
    assert sort_classes(["b", "a", 1]) == ["1", "a", "b"]
    assert sort_classes([2.0**60]) == [2.0**60] and type(sort_classes([2.0**60])[0]) is float
    with pytest.raises(DataError):
        sort_classes([1, None])


def test_preview(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("id;x1;Class\n" + "".join(f"{i};{i / 2};c{i % 2}\n" for i in range(50)))
    preview = preview_csv(path, max_rows=3)
    assert preview.columns == ("id", "x1", "Class") and preview.delimiter == ";"
    assert preview.rows == (("0", "0.0", "c0"), ("1", "0.5", "c1"), ("2", "1.0", "c0"))
    assert preview.label_column == "Class" and preview.encoding == "utf-8"
    assert preview.numeric_columns == ("id", "x1") == preview.feature_columns


def test_preview_of_a_file_cut_inside_a_character(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(("x,label\n" + "1,é\n" * 100).encode())
    assert preview_csv(path, max_bytes=19).encoding == "utf-8"  # cut after the first byte of an é


# --------------------------------------------------------------------------- Dataset


def test_dataset_from_labels_and_subset():
    ds = Dataset.from_labels(np.arange(8.0).reshape(4, 2), ["b", "a", "c", "a"])
    assert ds.classes == ("a", "b", "c") and ds.y.tolist() == [1, 0, 2, 0]
    assert (ds.n_samples, ds.n_features, ds.n_classes) == (4, 2, 3)
    assert ds.feature_names == ("x1", "x2") and ds.label_name == "label"
    part = ds.subset(np.array([True, False, False, True]))
    assert part.X.tolist() == [[0, 1], [6, 7]] and part.classes == ds.classes
    assert part.labels().tolist() == ["b", "a"]
    with pytest.raises(ValueError):
        ds.X[0, 0] = 1.0  # read-only: a Dataset is a snapshot


def test_dataset_numeric_label_array():
    ds = Dataset.from_labels(np.zeros((4, 1)), np.array([10, 2, 1, 2]))
    assert ds.classes == (1, 2, 10) and ds.y.tolist() == [2, 1, 0, 1]


@pytest.mark.parametrize(
    "X, labels, message",
    [
        (np.zeros((3, 2)), ["a", "b"], "3 rows but there are 2 labels"),
        ([[0.0, np.nan], [1.0, 2.0]], ["a", "b"], r"X\[0, 1\] is nan"),
        ([[0.0], [np.inf]], ["a", "b"], "finite"),
        (np.zeros((2, 1)), np.array([0.0, np.nan]), "row 1"),
        (np.zeros((2, 1)), ["a", ""], "row 1"),
    ],
)
def test_dataset_validation(X, labels, message):
    with pytest.raises(DataError, match=message):
        Dataset.from_labels(X, labels)


# --------------------------------------------------------------------------- writing


def test_round_trip_is_bit_exact(tmp_path):
    X = np.array([[0.1, -0.0], [5e-324, 1.7976931348623157e308], [1 / 3, -2.5e-17], [np.nextafter(1.0, 2), 1e16]])
    ds = Dataset.from_labels(X, ["b", 'q"uote', "a, b", "b"], feature_names=("alpha", "beta"), label_name="kind")
    path = tmp_path / "out.csv"
    write_csv(path, ds)
    back = read_csv(path)
    assert np.array_equal(bits(back.X), bits(ds.X))
    assert back.labels().tolist() == ds.labels().tolist()
    assert (back.classes, back.feature_names, back.label_name) == (ds.classes, ("alpha", "beta"), "kind")


def test_written_header_and_numbers(tmp_path):
    path = tmp_path / "out.csv"
    write_csv(path, Dataset.from_labels([[1.0, 0.5], [2.0, 0.25]], [1, 0]))
    assert path.read_text() == "x1,x2,label\n1.0,0.5,1\n2.0,0.25,0\n"
    assert stat.S_IMODE(path.stat().st_mode) & 0o044  # not 0600 like a tempfile
    assert os.listdir(tmp_path) == ["out.csv"]


def test_failed_write_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "out.csv"
    path.write_text("old contents\n")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(csv_io.os, "fsync", disk_full)
    with pytest.raises(DataError) as info:
        write_csv(path, Dataset.from_labels([[1.0]], ["a"]))
    assert str(path) in str(info.value) and "No space left on device" in str(info.value)
    assert info.value.path == str(path)
    assert path.read_text() == "old contents\n"
    assert os.listdir(tmp_path) == ["out.csv"]  # the temporary file is gone


def test_write_into_missing_folder(tmp_path):
    path = tmp_path / "no" / "such" / "out.csv"
    with pytest.raises(DataError, match="cannot save the file") as info:
        write_csv(path, Dataset.from_labels([[1.0]], ["a"]))
    assert str(path) in str(info.value)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores folder permissions")
def test_write_into_read_only_folder(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old\n")
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(DataError, match="Permission denied"):
            write_csv(path, Dataset.from_labels([[1.0]], ["a"]))
    finally:
        tmp_path.chmod(0o700)
    assert path.read_text() == "old\n"


def test_unencodable_label_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="UTF-8"):
        write_csv(tmp_path / "out.csv", Dataset.from_labels([[1.0]], ["\ud800"]))
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------- properties

CSV_ALPHABET = st.sampled_from(list('0123456789.,;\t"\r\n -+eEaxnNiIfFlb\x00é\ufeff'))


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300),
        st.text(CSV_ALPHABET, max_size=300),
        st.text(CSV_ALPHABET, max_size=200).map(lambda body: "x1,x2,label\n" + body),
    )
)
def test_any_input_gives_a_dataset_or_a_data_error(content):
    try:
        ds = read_csv_text(content)
    except DataError as error:
        assert str(error).startswith("<text>")
        return
    assert ds.X.dtype == np.float64 and np.isfinite(ds.X).all()
    assert ds.y.shape == (ds.n_samples,) and ds.n_samples >= 1


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_preview_never_raises_anything_but_data_error(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("preview") / "f.csv"
    path.write_bytes(content)
    try:
        preview_csv(path)
    except DataError:
        pass


def finite_label(text):
    try:
        return math.isfinite(float(text))
    except ValueError:
        return True


LABELS = st.one_of(
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=8).filter(
        lambda s: s == s.strip() and s and finite_label(s)
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    X=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
        elements=st.floats(allow_nan=False, allow_infinity=False),
    ),
    data_=st.data(),
)
def test_round_trip_property(tmp_path_factory, X, data_):
    kinds = data_.draw(st.lists(LABELS, min_size=1, max_size=4))
    labels = data_.draw(st.lists(st.sampled_from(kinds), min_size=len(X), max_size=len(X)))
    ds = Dataset.from_labels(X, labels)
    path = tmp_path_factory.mktemp("round") / "out.csv"
    write_csv(path, ds)
    back = read_csv(path)
    assert np.array_equal(bits(back.X), bits(X))
    assert back.classes == ds.classes
    assert [type(c) for c in back.classes] == [type(c) for c in ds.classes]
    assert np.array_equal(back.y, ds.y)
    assert back.labels().tolist() == ds.labels().tolist()
