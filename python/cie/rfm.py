"""cie.rfm: RFM features, scores and segments per customer from a transactions table."""
from __future__ import annotations

import datetime as _dt
from typing import Optional

import numpy as np

from cie import _core, _tables

COLUMNS = ["customer_id", "recency_days", "frequency", "transactions", "returns",
           "monetary_total", "monetary_mean", "first_purchase", "last_purchase", "tenure_days",
           "repeat_frequency", "repeat_recency", "T", "mean_repeat_value", "r_score", "f_score",
           "m_score", "rfm_cell", "segment"]

_SECONDS = {"s": 1, "ms": 1000, "us": 1000_000, "ns": 1000_000_000}


def rfm(transactions, customer: str = "customer_id", date: str = "date",
        amount: Optional[str] = "amount", as_of=None, *, quantity: Optional[str] = None,
        price: Optional[str] = None, order: Optional[str] = None,
        cancel_prefix: Optional[str] = None, date_format: Optional[str] = None,
        frequency: Optional[str] = None, ties: str = "equal", monetary: str = "total",
        score_bins: int = 5, time_unit: str = "days", segments: Optional[str] = None,
        returns: str = "net", bad_rows: str = "fail", device: str = "auto", threads: int = 0):
    """RFM per customer, exactly as ``cie rfm`` computes it (the same engine function).

    transactions: a pandas, polars or pyarrow table (or any object exporting
    ``__arrow_c_stream__``, read through pyarrow, or a dict of arrays). The result is a table of
    the same kind (pandas in, pandas out; polars in, polars out; pyarrow in, pyarrow out; a dict
    gives pandas) with the CLI's columns: ``cie.rfm.COLUMNS``. One row per customer with a
    purchase before the as-of date, in order of first appearance; ``segment`` is categorical
    (pandas Categorical, polars Enum, Arrow dictionary) over the segment table's names.

    customer, date, amount: column names (the CLI's --id-col, --date-col, --amount-col).
    quantity, price: instead of amount, amount = quantity × price.
    order, cancel_prefix: the order (invoice) id column; an order id starting with cancel_prefix
    is a cancellation, its amount −|amount| (as --order-col, --cancel-prefix).
    date: datetime64 (any unit; naive times are taken as UTC, as the CLI does; time-zone-aware
    ones are converted to UTC), dates, ISO 8601 strings, or, with date_format (strftime, e.g.
    "%Y%m%d"), strings or integers in that form.
    as_of: analysis date (str "YYYY-MM-DD", datetime.date, numpy/pandas date); transactions on
    or after it are not used; default the day after the last transaction.
    frequency ("days" | "transactions" | "orders"; default orders with an order column, else
    days), ties ("equal" | "first"), monetary ("total" | "mean"), score_bins (2..9), time_unit
    ("days" | "weeks"), segments (path of a segment table TOML), returns ("net" | "exclude"):
    as the CLI's options of the same names.
    bad_rows: "fail" (a ValueError naming the column and the first row with a missing or
    unusable value) or "skip" (such rows are dropped).
    device: "auto" | "cpu" | "cuda" | "cuda:N"; threads: CPU threads (0 = all cores).

    The columns are converted to the engine's types (a copy); the GIL is released while the
    engine computes. pandas results carry the run's counts in ``result.attrs["cie"]``.
    """
    kind, table = _tables.as_readable(transactions)
    if bad_rows not in ("fail", "skip"):
        raise ValueError(f"bad_rows: expected 'fail' or 'skip', got {bad_rows!r}")
    if returns not in ("net", "exclude"):
        raise ValueError(f"returns: expected 'net' or 'exclude', got {returns!r}")
    if time_unit not in ("days", "weeks"):
        raise ValueError(f"time_unit: expected 'days' or 'weeks', got {time_unit!r}")
    if cancel_prefix is not None and order is None:
        raise ValueError("cancel_prefix needs the order column (order=...)")

    ids = _tables.column(kind, table, customer, "customer")
    seconds, bad_date = _timestamps(_tables.column(kind, table, date, "date"), date, date_format)
    if quantity is not None or price is not None:
        if quantity is None or price is None:
            raise ValueError("quantity and price go together (amount = quantity × price)")
        money = (_numbers(_tables.column(kind, table, quantity, "quantity"), quantity)
                 * _numbers(_tables.column(kind, table, price, "price"), price))
        money_name = f"{quantity} × {price}"
    else:
        money = _numbers(_tables.column(kind, table, amount, "amount"), amount)
        money_name = amount
    id_missing = _missing(ids)
    bad = {customer: id_missing, date: bad_date, money_name: ~np.isfinite(money)}
    order_ids = None
    if order is not None:
        order_ids = _tables.column(kind, table, order, "order")
        bad[order] = _missing(order_ids)
    keep = None
    if any(mask.any() for mask in bad.values()):
        if bad_rows == "fail":
            for name, mask in bad.items():
                if mask.any():
                    row = int(np.argmax(mask))
                    raise ValueError(f"column '{name}', row {row}: missing or unusable value "
                                     f"({int(mask.sum())} such rows; bad_rows='skip' drops them)")
        keep = ~np.logical_or.reduce(list(bad.values()))
    if cancel_prefix is not None:
        text = np.asarray(order_ids, dtype=object).astype(str)
        cancelled = np.char.startswith(text, cancel_prefix)
        money = np.where(cancelled, -np.abs(money), money)
    if returns == "exclude":
        purchase = ~np.signbit(money)
        keep = purchase if keep is None else keep & purchase
    if keep is not None:
        ids, seconds, money = ids[keep], seconds[keep], money[keep]
        if order_ids is not None:
            order_ids = order_ids[keep]

    import pandas as pd
    codes, uniques = pd.factorize(ids, sort=False)
    order_codes = None
    if order_ids is not None:
        order_codes = pd.factorize(order_ids, sort=False)[0].astype(np.uint64)
    if frequency is None:
        frequency = "orders" if order is not None else "days"
    segments_toml = None
    if segments is not None:
        with open(segments, encoding="utf-8") as f:
            segments_toml = f.read()
    result = _core.rfm(np.ascontiguousarray(codes, dtype=np.int32), len(uniques),
                       np.ascontiguousarray(seconds, dtype=np.int64),
                       np.ascontiguousarray(money, dtype=np.float64), order_codes,
                       _as_of_day(as_of), frequency, ties, monetary, int(score_bins),
                       7 if time_unit == "weeks" else 1, segments_toml, device, int(threads))

    customer_index = result["customer"]
    r, f, m = result["r_score"], result["f_score"], result["m_score"]
    columns = {
        "customer_id": np.asarray(uniques)[customer_index],
        "first_purchase": result["first_day"].astype("datetime64[D]"),
        "last_purchase": result["last_day"].astype("datetime64[D]"),
        "T": result["T"],
        "rfm_cell": (r.astype(np.int16) * 100 + f.astype(np.int16) * 10 + m.astype(np.int16)),
    }
    for name in COLUMNS:
        if name not in columns and name != "segment":
            columns[name] = result[name]
    categorical = {"segment": (result["segment"].astype(np.int32), result["segment_names"])}
    out = _tables.build("pandas" if kind == "dict" else kind, COLUMNS, columns, categorical)
    if kind in ("pandas", "dict"):
        out.attrs["cie"] = {
            "as_of": str(np.datetime64(result["as_of_day"], "D")),
            "device": result["device"],
            "transactions_after_as_of": result["transactions_after_as_of"],
            "return_rows": result["return_rows"],
            "return_only_customers": result["return_only_customers"],
            "days_after_last_purchase": result["days_after_last_purchase"],
            "rows_skipped": 0 if keep is None else int((~keep).sum()),
        }
    return out


def _missing(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "O":
        import pandas as pd
        return pd.isna(values)
    if values.dtype.kind in "fM":
        return np.isnan(values) if values.dtype.kind == "f" else np.isnat(values)
    return np.zeros(len(values), dtype=bool)


def _numbers(values: np.ndarray, name: str) -> np.ndarray:
    if values.dtype.kind in "biuf":
        return values.astype(np.float64, copy=False)
    if values.dtype.kind == "O":
        try:
            import pandas as pd
            return pd.to_numeric(values, errors="raise").astype(np.float64)
        except (TypeError, ValueError):
            pass
    raise TypeError(f"column '{name}': expected numbers, got values of type {values.dtype}")


def _timestamps(values: np.ndarray, name: str, date_format: Optional[str]):
    """(seconds since 1970-01-01 UTC as int64, mask of unusable rows)."""
    if date_format is not None:
        import pandas as pd
        text = pd.Series(values).astype("string")
        parsed = pd.to_datetime(text, format=date_format, errors="coerce", utc=True)
        values = parsed.dt.tz_localize(None).to_numpy()
    elif values.dtype.kind != "M":
        try:
            import pandas as pd
            # Naive times are UTC (as the CLI reads them); aware ones are converted to UTC.
            parsed = pd.to_datetime(pd.Series(values), format="ISO8601", utc=True)
            values = parsed.dt.tz_localize(None).to_numpy()
        except (TypeError, ValueError):
            raise TypeError(f"column '{name}': expected dates or date-times (datetime64, dates "
                            f"or ISO 8601 strings); give date_format for another form") from None
    unit = np.datetime_data(values.dtype)[0]
    missing = np.isnat(values)
    ticks = values.view(np.int64)
    if unit in _SECONDS:
        seconds = np.floor_divide(ticks, _SECONDS[unit])
    elif unit in ("D", "h", "m"):
        seconds = ticks * {"D": 86400, "h": 3600, "m": 60}[unit]
    else:
        seconds = values.astype("datetime64[s]").view(np.int64)
    return np.where(missing, 0, seconds), missing


def _as_of_day(as_of) -> Optional[int]:
    if as_of is None:
        return None
    if isinstance(as_of, _dt.datetime):
        as_of = as_of.date()
    try:
        day = np.datetime64(as_of, "D")
    except (TypeError, ValueError):
        day = np.datetime64("NaT")
    if np.isnat(day):
        raise ValueError(f"as_of: expected a date such as '2024-12-31', got {as_of!r}")
    return int(day.astype(np.int64))
