"""The README's notebook-style example, run as written (data path from the fixture): RFM from a
pandas DataFrame, k-means segments, and a repeat-purchase propensity model tuned with
GridSearchCV in a scikit-learn pipeline; then the model files the `cie` command reads."""
import pandas as pd
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

import cie


def test_readme_example(data_dir, run_cie, tmp_path):
    # --- README example -------------------------------------------------------------------
    tx = pd.read_csv(data_dir / "cdnow" / "CDNOW_master.txt", sep=r"\s+",
                     dtype={"customer_id": str})
    # RFM as of 1998-01-01: the first 12 months of CDNOW's 18.
    rfm = cie.rfm(tx, customer="customer_id", date="date", amount="dollar_value",
                  date_format="%Y%m%d", as_of="1998-01-01")
    # Segments on the CLI's default features and transforms.
    segments = cie.KMeans(4, transforms="rfm", standardize=True)
    rfm["cluster"] = segments.fit_predict(rfm[["recency_days", "frequency", "monetary_total"]])
    # Who buys again in the next six months?
    y = rfm["customer_id"].isin(tx.loc[tx["date"] >= 19980101, "customer_id"])
    features = ["recency_days", "frequency", "monetary_total", "tenure_days"]
    search = GridSearchCV(
        Pipeline([("model", cie.LogisticRegression(
            transforms={"frequency": "log1p", "monetary_total": "floor:0+log1p"}))]),
        {"model__C": [0.01, 1.0], "model__penalty": ["l2", "l1"]}, cv=5, scoring="roc_auc")
    search.fit(rfm[features], y)
    model = search.best_estimator_["model"]
    segments.save(tmp_path / "segments.json")  # `cie segment assign --model` reads it
    model.save(tmp_path / "propensity.json")  # `cie propensity score --model` reads it
    # ---------------------------------------------------------------------------------------
    assert len(rfm) == 23570 and rfm.attrs["cie"]["as_of"] == "1998-01-01"
    assert sorted(rfm["cluster"].unique()) == [0, 1, 2, 3]
    assert 0.7 < search.best_score_ < 1.0
    table = tmp_path / "customers.csv"
    rfm[["customer_id", *features]].to_csv(table, index=False)
    run_cie("propensity", "score", "--table", table, "--model", tmp_path / "propensity.json",
            "--out", tmp_path / "scores.csv")
    scores = pd.read_csv(tmp_path / "scores.csv", dtype={"customer_id": str},
                         float_precision="round_trip")
    assert (scores["probability"].to_numpy() == model.predict_proba(rfm[features])[:, 1]).all()
