"""Reading columns of the tables users pass (pandas, polars, pyarrow, anything with the Arrow C
stream interface, or a dict of arrays) and building a result table of the same kind."""
from __future__ import annotations

import numpy as np


def table_kind(table) -> str:
    """'pandas' | 'polars' | 'pyarrow' | 'dict'; another object exporting __arrow_c_stream__
    is read through pyarrow and answered with a pyarrow table ('pyarrow')."""
    module = type(table).__module__.split(".")[0]
    if module == "pandas":
        return "pandas"
    if module == "polars":
        return "polars"
    if module == "pyarrow":
        return "pyarrow"
    if isinstance(table, dict):
        return "dict"
    if hasattr(table, "__arrow_c_stream__"):
        return "arrow"
    raise TypeError(
        f"expected a pandas, polars or pyarrow table (or an object exporting "
        f"__arrow_c_stream__, or a dict of columns), got {type(table).__name__}")


def as_readable(table):
    """(kind, table) with objects that only export the Arrow stream interface read by pyarrow."""
    kind = table_kind(table)
    if kind == "arrow":
        import pyarrow as pa
        return "pyarrow", pa.table(table)
    if kind == "pyarrow" and not hasattr(table, "column_names"):
        import pyarrow as pa
        table = pa.table(table)  # a RecordBatch or a reader
    return kind, table


def column_names(kind: str, table) -> list[str]:
    if kind == "pandas":
        return [str(c) for c in table.columns]
    if kind == "pyarrow":
        return list(table.column_names)
    if kind == "polars":
        return list(table.columns)
    return list(table.keys())


def column(kind: str, table, name: str, role: str):
    """Column `name` as a numpy array (object dtype for strings), nulls as None/NaN/NaT."""
    if name not in column_names(kind, table):
        raise ValueError(f"{role}: the table has no column '{name}'")
    if kind == "pandas":
        return table[name].to_numpy()
    if kind == "polars":
        return table.get_column(name).to_numpy()
    if kind == "pyarrow":
        return table.column(name).to_numpy(zero_copy_only=False)
    return np.asarray(table[name])


def build(kind: str, names: list[str], columns: dict, categorical: dict):
    """A table of `kind` with the columns `names`, in order: numpy arrays from `columns`, or
    categoricals from `categorical` (name -> (codes, levels)): pandas Categorical, polars Enum,
    Arrow dictionary. 'dict' gives a pandas DataFrame."""
    if kind == "polars":
        import polars as pl
        data = {}
        for name in names:
            if name in categorical:
                codes, levels = categorical[name]
                data[name] = pl.Series(name, np.asarray(levels, dtype=object)[codes],
                                       dtype=pl.String).cast(pl.Enum(list(levels)))
            else:
                data[name] = columns[name]
        return pl.DataFrame(data)
    if kind == "pyarrow":
        import pyarrow as pa
        arrays = []
        for name in names:
            if name in categorical:
                codes, levels = categorical[name]
                arrays.append(pa.DictionaryArray.from_arrays(
                    pa.array(codes.astype(np.int32)), pa.array(list(levels), type=pa.string())))
            else:
                arrays.append(pa.array(columns[name]))
        return pa.table(arrays, names=names)
    import pandas as pd
    data = {}
    for name in names:
        if name in categorical:
            codes, levels = categorical[name]
            data[name] = pd.Categorical.from_codes(codes, categories=list(levels))
        else:
            data[name] = columns[name]
    return pd.DataFrame(data)
