"""Explore: a 2-D map of a project's sentence vectors (UMAP), topic clusters (HDBSCAN) with class-based
TF-IDF keywords, per-cluster label and audit stats, and the actions on a selection (bulk label, label next).
"""

from services.explore.build import (
    JOB_KIND,
    build_map,
    cluster_table,
    current_map,
    queue_representatives,
    start_map,
)
from services.explore.clusters import NOISE, cluster, keywords, representatives
from services.explore.reduce import MapConfig, reduce

__all__ = [
    "JOB_KIND", "NOISE", "MapConfig", "build_map", "cluster", "cluster_table", "current_map", "keywords",
    "queue_representatives", "reduce", "representatives", "start_map",
]
