"""Reference values for tests/models/metrics/test_cluster_metrics.cpp, from scikit-learn.

Run: .venv/bin/python tests/models/metrics/cluster_metrics_reference.py
It prints the silhouette, Davies-Bouldin and Calinski-Harabasz scores of the small clusterings
that the C++ test hard-codes; rerun it and update the test if the data there change.
"""
import numpy as np
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

CASES = {
    # Three clusters in the plane, one of them a singleton (its silhouette is 0). The C++ test
    # passes n_clusters = 4, so its cluster 3 is empty and must be ignored.
    "three_clusters": (
        [[0.0, 0.0], [0.5, 0.2], [0.1, 0.9], [4.0, 4.0], [4.5, 3.5], [5.0, 4.2], [3.8, 4.9],
         [-3.0, 5.0]],
        [0, 0, 0, 1, 1, 1, 1, 2],
    ),
    # Two overlapping clusters in three dimensions: some silhouettes are negative.
    "overlapping": (
        [[0.0, 0.0, 0.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0], [1.5, 1.5, 1.5], [2.5, 2.0, 1.0],
         [3.0, 3.0, 2.0], [1.2, 0.8, 0.9]],
        [0, 0, 0, 1, 1, 1, 1],
    ),
}

for name, (points, labels) in CASES.items():
    x = np.asarray(points, dtype=np.float64)
    y = np.asarray(labels)
    print(f"{name}: silhouette {silhouette_score(x, y):.15g} "
          f"davies_bouldin {davies_bouldin_score(x, y):.15g} "
          f"calinski_harabasz {calinski_harabasz_score(x, y):.15g}")
