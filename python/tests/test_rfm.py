"""cie.rfm against `cie rfm` on real data (CDNOW, Online Retail): every column equal, doubles bit
for bit; pandas, polars and pyarrow inputs give the same table in their own kind; bad input is a
ValueError/TypeError naming the column."""
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import cie


def read_cli_output(path):
    return pd.read_csv(path, dtype={"customer_id": str}, float_precision="round_trip",
                       keep_default_na=False)


def assert_same_as_cli(ours: pd.DataFrame, cli: pd.DataFrame):
    assert list(ours.columns) == list(cli.columns) == cie.RFM_COLUMNS
    assert len(ours) == len(cli) > 0
    for name in cli.columns:
        mine = ours[name]
        if name in ("first_purchase", "last_purchase"):
            mine = mine.dt.strftime("%Y-%m-%d")
        elif name == "customer_id":
            mine = mine.astype(str)
        elif name == "segment":
            mine = mine.astype(str)
        theirs = cli[name]
        if mine.dtype.kind == "f":
            # Bit for bit: the CLI writes doubles in their shortest round-trip form.
            assert np.array_equal(mine.to_numpy().view(np.int64),
                                  theirs.to_numpy(dtype=np.float64).view(np.int64)), name
        else:
            assert (mine.to_numpy() == theirs.to_numpy()).all(), name


@pytest.fixture(scope="module")
def cdnow(data_dir):
    path = data_dir / "cdnow" / "CDNOW_master.txt"
    frame = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str},
                        float_precision="round_trip")
    frame["date"] = pd.to_datetime(frame["date"].astype(str), format="%Y%m%d")
    return path, frame


@pytest.fixture(scope="module")
def cdnow_cli(cdnow, run_cie, tmp_path_factory):
    path, _ = cdnow
    out = tmp_path_factory.mktemp("rfm") / "cdnow.csv"
    run_cie("rfm", "--transactions", path, "--delimiter", "whitespace", "--amount-col",
            "dollar_value", "--out", out)
    return read_cli_output(out)


def test_cdnow_equals_cli(cdnow, cdnow_cli):
    _, frame = cdnow
    ours = cie.rfm(frame, customer="customer_id", date="date", amount="dollar_value")
    assert isinstance(ours, pd.DataFrame)
    assert len(ours) == 23570
    assert_same_as_cli(ours, cdnow_cli)
    assert isinstance(ours["segment"].dtype, pd.CategoricalDtype)
    assert ours.attrs["cie"]["as_of"] == "1998-07-01"


def test_cdnow_options_equal_cli(cdnow, run_cie, tmp_path):
    path, frame = cdnow
    out = tmp_path / "cdnow.csv"
    run_cie("rfm", "--transactions", path, "--delimiter", "whitespace", "--amount-col",
            "dollar_value", "--as-of", "1998-01-01", "--ties", "first", "--monetary", "mean",
            "--score-bins", "4", "--time-unit", "weeks", "--frequency", "transactions",
            "--out", out)
    ours = cie.rfm(frame, customer="customer_id", date="date", amount="dollar_value",
                   as_of="1998-01-01", ties="first", monetary="mean", score_bins=4,
                   time_unit="weeks", frequency="transactions")
    assert_same_as_cli(ours, read_cli_output(out))


def test_cdnow_integer_dates_with_date_format(cdnow, cdnow_cli, data_dir):
    raw = pd.read_csv(data_dir / "cdnow" / "CDNOW_master.txt", sep=r"\s+",
                      dtype={"customer_id": str}, float_precision="round_trip")
    ours = cie.rfm(raw, customer="customer_id", date="date", amount="dollar_value",
                   date_format="%Y%m%d")
    assert_same_as_cli(ours, cdnow_cli)


def test_polars_and_pyarrow_give_the_same_table_in_their_kind(cdnow):
    _, frame = cdnow
    expected = cie.rfm(frame, customer="customer_id", date="date", amount="dollar_value")
    from_polars = cie.rfm(pl.from_pandas(frame), customer="customer_id", date="date",
                          amount="dollar_value")
    assert isinstance(from_polars, pl.DataFrame)
    assert from_polars.columns == cie.RFM_COLUMNS
    assert from_polars.schema["segment"] == pl.Enum(list(expected["segment"].cat.categories))
    table = pa.Table.from_pandas(frame, preserve_index=False)
    from_arrow = cie.rfm(table, customer="customer_id", date="date", amount="dollar_value")
    assert isinstance(from_arrow, pa.Table)
    assert pa.types.is_dictionary(from_arrow.schema.field("segment").type)
    assert pa.types.is_date32(from_arrow.schema.field("first_purchase").type)
    for other in (from_polars.to_pandas(), from_arrow.to_pandas()):
        for name in cie.RFM_COLUMNS:
            a, b = expected[name], other[name]
            if name in ("first_purchase", "last_purchase"):
                a, b = pd.to_datetime(a), pd.to_datetime(b)
            if name == "segment":
                a, b = a.astype(str), b.astype(str)
            assert np.array_equal(a.to_numpy(), b.to_numpy()), name
    # An object that only exports the Arrow C stream interface is read through pyarrow.
    class StreamOnly:
        def __arrow_c_stream__(self, requested_schema=None):
            return table.__arrow_c_stream__(requested_schema)
    from_stream = cie.rfm(StreamOnly(), customer="customer_id", date="date",
                          amount="dollar_value")
    assert isinstance(from_stream, pa.Table) and from_stream.equals(from_arrow)


def test_online_retail_equals_cli(data_dir, run_cie, tmp_path):
    path = next((data_dir / "online-retail").glob("*.csv"))
    out = tmp_path / "retail.csv"
    run_cie("rfm", "--transactions", path, "--id-col", "CustomerID", "--date-col",
            "InvoiceDate", "--quantity-col", "Quantity", "--price-col", "UnitPrice",
            "--order-col", "InvoiceNo", "--cancel-prefix", "C", "--bad-rows", "skip",
            "--out", out)
    frame = pd.read_csv(path, dtype={"CustomerID": str, "InvoiceNo": str},
                        float_precision="round_trip", keep_default_na=False,
                        na_values={"CustomerID": [""]})
    frame["InvoiceDate"] = pd.to_datetime(frame["InvoiceDate"])
    with pytest.raises(ValueError, match="column 'CustomerID', row"):
        cie.rfm(frame, customer="CustomerID", date="InvoiceDate", amount=None,
                quantity="Quantity", price="UnitPrice", order="InvoiceNo", cancel_prefix="C")
    ours = cie.rfm(frame, customer="CustomerID", date="InvoiceDate", amount=None,
                   quantity="Quantity", price="UnitPrice", order="InvoiceNo",
                   cancel_prefix="C", bad_rows="skip")
    assert ours.attrs["cie"]["return_only_customers"] == 69
    assert_same_as_cli(ours, read_cli_output(out))


def test_time_zones_and_iso_strings_are_utc():
    local = pd.to_datetime(["2024-01-01 23:30", "2024-01-03 01:00", "2024-01-02 12:00"])
    frame = pd.DataFrame({"id": ["a", "a", "b"], "amount": [1.0, 2.0, 3.0],
                          "date": local.tz_localize("America/New_York")})
    ours = cie.rfm(frame, customer="id")
    # 23:30 in New York on January 1st is 04:30 UTC on January 2nd.
    assert list(ours["first_purchase"].dt.strftime("%Y-%m-%d")) == ["2024-01-02", "2024-01-02"]
    as_text = frame.assign(date=["2024-01-02T04:30:00", "2024-01-03T06:00", "2024-01-02 17:00"])
    again = cie.rfm(as_text, customer="id")
    assert again.drop(columns="segment").equals(ours.drop(columns="segment"))


def test_bad_input_names_the_column():
    frame = pd.DataFrame({"id": ["a", "b", "a"], "day": pd.to_datetime(["2024-01-01"] * 3),
                          "money": [1.0, np.nan, 3.0], "text": ["x", "y", "z"]})
    with pytest.raises(ValueError, match="no column 'amount'"):
        cie.rfm(frame, customer="id", date="day")
    with pytest.raises(ValueError, match="column 'money', row 1"):
        cie.rfm(frame, customer="id", date="day", amount="money")
    with pytest.raises(TypeError, match="column 'text'"):
        cie.rfm(frame, customer="id", date="day", amount="text")
    with pytest.raises(TypeError, match="column 'text'"):
        cie.rfm(frame, customer="id", date="text", amount="money", bad_rows="skip")
    with pytest.raises(ValueError, match="as_of"):
        cie.rfm(frame, customer="id", date="day", amount="money", bad_rows="skip",
                as_of="someday")
    with pytest.raises(ValueError, match="score_bins|bins"):
        cie.rfm(frame, customer="id", date="day", amount="money", bad_rows="skip",
                score_bins=12)
    with pytest.raises(TypeError):
        cie.rfm([1, 2, 3])
    skipped = cie.rfm(frame, customer="id", date="day", amount="money", bad_rows="skip")
    assert list(skipped["customer_id"]) == ["a"]
    assert skipped["monetary_total"].tolist() == [4.0]
    assert skipped.attrs["cie"]["rows_skipped"] == 1
