"""Dataset specs: the spec as data (``model``), checked against a dataset's features (``check``) and applied to its
episodes (``standardize``); ``episodes`` is the Beam-free read-and-standardize loop the pipelines and ``inspect``
share.
"""

from rt2data.spec.check import check_features, feature_table, proprio_dim, require_match
from rt2data.spec.model import DatasetSpec, list_specs, spec_path
from rt2data.spec.standardize import CanonicalEpisode, standardize

__all__ = [
    "DatasetSpec", "CanonicalEpisode", "list_specs", "spec_path", "check_features", "feature_table",
    "require_match", "proprio_dim", "standardize",
]
