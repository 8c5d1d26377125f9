"""Inputs: numpy float32/float64 in C or F order read without a copy where the engine's layout
allows (float64 or float32, F order: the engine reads the columns in place, proven by buffer
address, and a float32 input gives the model of float64 input with the same values),
the GIL released while the engine computes, and type stubs shipped."""
import pathlib

import numpy as np

import cie
from cie import _core
from gil_probe import ticks_during
from model_documents import comparable


def test_f_ordered_float64_and_float32_are_read_in_place():
    X = np.asfortranarray(np.random.default_rng(1).normal(size=(1000, 3)))
    assert _core.matrix_address(X) == X.ctypes.data
    C = np.ascontiguousarray(X)
    assert _core.matrix_address(C) != C.ctypes.data  # C order: copied into columns
    F32 = np.asfortranarray(X.astype(np.float32))
    assert _core.matrix_address(F32) == F32.ctypes.data  # float32 columns read as they are
    assert _core.input_addresses(F32) == [F32[:, j].ctypes.data for j in range(3)]
    C32 = np.ascontiguousarray(F32)
    assert _core.matrix_address(C32) != C32.ctypes.data  # C order: copied into columns
    # A column slice of an F-ordered array is still F-contiguous: read in place too.
    sub = X[:, 1:]
    assert _core.matrix_address(sub) == sub.ctypes.data


def test_gil_is_released_while_fitting():
    rng = np.random.default_rng(2)
    X = np.asfortranarray(rng.normal(size=(200_000, 4)))
    elapsed, during = ticks_during(
        lambda: cie.KMeans(8, n_init=2, silhouette_limit=1000, threads=1).fit(X))
    # With the GIL held for the whole fit the ticker could not run at all.
    assert elapsed > 0.05 and during >= 5, (elapsed, during)


def test_type_stubs_are_shipped():
    package = pathlib.Path(cie.__file__).parent
    stub = (package / "_core.pyi").read_text()
    assert "def rfm(" in stub and "def kmeans_fit(" in stub and "def uplift_fit(" in stub
    assert (package / "py.typed").exists()


def _arrow_address(array) -> int:
    """The address of the first value of a one-chunk Arrow float array."""
    import pyarrow as pa
    chunk = array.chunk(0) if isinstance(array, pa.ChunkedArray) else array
    return chunk.buffers()[1].address + chunk.offset * chunk.type.byte_width


def test_arrow_tables_are_read_in_place():
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    rng = np.random.default_rng(3)
    values = {name: rng.normal(size=5000) for name in ("a", "b", "c")}
    table = pa.table(values)
    model = cie.KMeans(3, threads=1)
    # What KMeans.fit hands the engine, and where the engine reads each column: in the Arrow
    # buffers themselves.
    columns = model._engine_input(table, reset=True)
    assert _core.input_addresses(columns) == [_arrow_address(c) for c in table.columns]
    # A slice of a table (an offset into the same buffers) too.
    part = table.slice(100, 1000)
    assert _core.input_addresses(model._engine_input(part, reset=False)) == [
        _arrow_address(c) for c in part.columns]
    # polars: its own buffers (to_arrow shares them).
    frame = pl.DataFrame(values)
    assert _core.input_addresses(model._engine_input(frame, reset=False)) == [
        frame[name].to_numpy(allow_copy=False).ctypes.data for name in values]
    # pandas with Arrow dtypes: the columns' Arrow arrays.
    arrow_pandas = pd.DataFrame({name: pd.array(v, dtype=pd.ArrowDtype(pa.float64()))
                                 for name, v in values.items()})
    assert _core.input_addresses(model._engine_input(arrow_pandas, reset=False)) == [
        _arrow_address(arrow_pandas[name].array.__arrow_array__()) for name in values]

    # float32 columns (alone or beside float64 ones) are read in their Arrow buffers too.
    f32 = pa.table({"a": values["a"].astype(np.float32), "b": values["b"], "c": values["c"]})
    assert _core.input_addresses(model._engine_input(f32, reset=False)) == [
        _arrow_address(c) for c in f32.columns]
    all32 = pa.table({name: v.astype(np.float32) for name, v in values.items()})
    assert _core.input_addresses(model._engine_input(all32, reset=False)) == [
        _arrow_address(c) for c in all32.columns]
    # A copy, as the docstring says: several chunks (via pandas).
    chunked = pa.concat_tables([table.slice(0, 10), table.slice(10)])
    assert not isinstance(model._engine_input(chunked, reset=False), list)


def _document(model) -> dict:
    return comparable(model.model_file_)


def test_arrow_input_gives_the_same_model_as_numpy():
    import polars as pl
    import pyarrow as pa

    rng = np.random.default_rng(4)
    X = np.asfortranarray(rng.normal(size=(3000, 3)))
    names = ["a", "b", "c"]
    table = pa.table(dict(zip(names, X.T)))
    import pandas as pd
    from_numpy = cie.KMeans(4, threads=1).fit(pd.DataFrame(X, columns=names))
    for data in (table, pl.from_arrow(table), table.to_batches()[0]):
        model = cie.KMeans(4, threads=1).fit(data)
        assert _document(model) == _document(from_numpy)
        np.testing.assert_array_equal(model.labels_, from_numpy.labels_)
        np.testing.assert_array_equal(model.predict(data),
                                      from_numpy.predict(pd.DataFrame(X, columns=names)))
        assert list(model.feature_names_in_) == names


def test_arrow_input_errors_name_the_column():
    import pyarrow as pa
    import pytest

    good = pa.table({"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, 6.0]})
    model = cie.KMeans(2, threads=1).fit(good)
    with pytest.raises(ValueError, match="column 'b' has NaN at row 1"):
        cie.KMeans(2).fit(pa.table({"a": [1.0, 2.0, 3.0], "b": [4.0, float("nan"), 6.0]}))
    with pytest.raises(ValueError, match="column 'a' has inf at row 2"):
        cie.KMeans(2).fit(pa.table({"a": [1.0, 2.0, float("inf")], "b": [4.0, 5.0, 6.0]}))
    with pytest.raises(ValueError, match="feature names"):
        model.predict(pa.table({"b": [1.0], "a": [2.0]}))
    with pytest.raises(ValueError, match="expecting 2 features"):
        model.predict(pa.table({"a": [1.0]}))


def test_float32_input_gives_the_model_of_float64_input_with_the_same_values():
    import pyarrow as pa

    rng = np.random.default_rng(8)
    X32 = np.asfortranarray(np.exp(rng.normal(2.0, 1.0, size=(3000, 3))).astype(np.float32))
    X64 = np.asfortranarray(X32.astype(np.float64))
    transforms = {"x0": "log1p", "x2": "floor:0+clip:0.99+log1p"}
    def fit(X):
        return cie.KMeans(4, transforms=transforms, standardize=True, silhouette_limit=1000,
                          threads=2, device="cpu").fit(X)
    wide = fit(X64)
    for X in (X32, pa.table({f"x{j}": X32[:, j] for j in range(3)})):
        narrow = fit(X)
        assert _document(narrow) == _document(wide)
        np.testing.assert_array_equal(narrow.labels_, wide.labels_)
        np.testing.assert_array_equal(narrow.predict(X), wide.predict(X64))
        assert narrow.score(X) == wide.score(X64)


def test_classifiers_read_f_ordered_columns_in_place_with_the_same_model():
    import pandas as pd

    rng = np.random.default_rng(9)
    X32 = np.asfortranarray(rng.normal(size=(4000, 3)).astype(np.float32))
    X32[::11, 1] = np.nan  # missing values: mean imputation with an indicator
    X64 = np.asfortranarray(X32.astype(np.float64))
    y = (np.nan_to_num(X64[:, 0]) + 0.5 * X64[:, 2] + rng.normal(size=4000) > 0).astype(int)
    # Where the encoder reads each column: X's own buffers for F order, a copy for C order.
    for X in (X64, X32):
        assert _core.table_addresses(X) == [X[:, j].ctypes.data for j in range(3)]
    C64 = np.ascontiguousarray(X64)
    assert all(a != C64[:, j].ctypes.data for j, a in enumerate(_core.table_addresses(C64)))
    # A pandas frame built column by column gives an F-ordered array: read in place too.
    frame = pd.DataFrame({f"x{j}": X64[:, j].copy() for j in range(3)})
    checked = cie.LogisticRegression()._check_X(frame, reset=True, allow_nan=True)
    assert _core.table_addresses(checked) == [frame[f"x{j}"].to_numpy().ctypes.data
                                              for j in range(3)]
    for make in (lambda: cie.LogisticRegression(threads=1),
                 lambda: cie.GradientBoostingClassifier(10, threads=1)):
        expected = make().fit(C64, y)  # the copied path
        for X in (X64, X32):
            model = make().fit(X, y)
            assert _document(model) == _document(expected)
            np.testing.assert_array_equal(model.predict_proba(X), expected.predict_proba(C64))


def test_classifiers_read_arrow_columns_in_place_with_the_pandas_model():
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    from cie import uplift

    rng = np.random.default_rng(10)
    n = 3000
    a, b, c = rng.normal(size=n), rng.normal(size=n).astype(np.float32), rng.normal(size=n)
    c_mask = np.zeros(n, dtype=bool)
    c_mask[::7] = True  # nulls: missing values
    table = pa.table({"a": a, "b": b, "c": pa.array(c, mask=c_mask),
                      "d": rng.integers(0, 5, size=n)})
    y = (a + 0.5 * b - np.where(c_mask, 0.0, c) + rng.normal(size=n) > 0).astype(int)
    treatment = (rng.random(n) < 0.5).astype(int)
    model = cie.LogisticRegression(threads=1)
    columns, categorical, order = model._split_X(table, reset=True)
    assert order == ["a", "b", "c", "d"] and categorical == []
    addresses = _core.table_addresses(columns)
    # float64 and float32 columns in one chunk without nulls: the engine reads their Arrow
    # buffers; the column with nulls (NaN where null) and the integer one are copies.
    assert addresses[:2] == [_arrow_address(table.column(n)) for n in ("a", "b")]
    assert addresses[2] != _arrow_address(table.column("c"))
    assert np.isnan(columns[2][c_mask]).all() and not np.isnan(columns[2][~c_mask]).any()
    # A slice and a polars frame: in place too.
    part = table.slice(100, 1000)
    assert _core.table_addresses(model._split_X(part, reset=False)[0])[:2] == [
        _arrow_address(part.column(n)) for n in ("a", "b")]
    frame = pl.from_arrow(table)
    assert _core.table_addresses(model._split_X(frame, reset=False)[0])[:2] == [
        frame[n].to_numpy(allow_copy=False).ctypes.data for n in ("a", "b")]

    # The models equal those of the pandas path (nulls as NaN), bit for bit.
    pandas = table.to_pandas()
    assert pandas["c"].isna().sum() == c_mask.sum()
    chunked = pa.concat_tables([table.slice(0, 10), table.slice(10)])
    arrow_pandas = table.to_pandas(types_mapper=pd.ArrowDtype)
    for make in (lambda: cie.LogisticRegression(threads=1),
                 lambda: cie.GradientBoostingClassifier(10, threads=1)):
        expected = make().fit(pandas, y)
        for X in (table, frame, chunked, arrow_pandas, table.to_batches()[0]):
            fitted = make().fit(X, y)
            assert _document(fitted) == _document(expected)
            np.testing.assert_array_equal(fitted.predict_proba(X), expected.predict_proba(pandas))
    expected = uplift.TwoModels().fit(pandas, y, treatment)
    for X in (table, frame):
        fitted = uplift.TwoModels().fit(X, y, treatment)
        assert _document(fitted) == _document(expected)
        np.testing.assert_array_equal(fitted.predict(X), expected.predict(pandas))


def test_classifiers_take_arrow_tables_with_categorical_columns_as_pandas():
    import polars as pl
    import pyarrow as pa
    import pytest

    rng = np.random.default_rng(11)
    n = 2000
    levels = np.array(["north", "south", "east"])
    frame = pl.DataFrame({"x": rng.normal(size=n),
                          "region": pl.Series(levels[rng.integers(0, 3, size=n)]).cast(
                              pl.Enum(["south", "east", "north"]))})
    y = (frame["x"].to_numpy() + (frame["region"] == "east").to_numpy() > 0.3).astype(int)
    pandas = frame.to_pandas()
    expected = cie.GradientBoostingClassifier(10, threads=1).fit(pandas, y)
    for X in (frame, frame.to_arrow()):
        model = cie.GradientBoostingClassifier(10, threads=1)
        columns, categorical, order = model._split_X(X, reset=True)
        assert order == ["x", "region"] and [c[0] for c in categorical] == ["region"]
        # The numeric column in place (to_arrow shares polars' buffers).
        assert _core.table_addresses(columns) == [
            frame["x"].to_numpy(allow_copy=False).ctypes.data]
        model.fit(X, y)
        assert _document(model) == _document(expected)
        np.testing.assert_array_equal(model.predict_proba(X), expected.predict_proba(pandas))
    with pytest.raises(TypeError, match="column 'region': categorical"):
        cie.LogisticRegression().fit(frame, y)
    with pytest.raises(TypeError, match="column 'region': the model was fitted on it as"):
        expected.predict(pa.table({"x": [1.0], "region": [2.0]}))
