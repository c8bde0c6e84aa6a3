"""Mixtures: the YAML ``config`` (checked by the JSON Schema ``schema`` builds), the ``plan`` (how many examples of
each source, epochs, block quotas), the deterministic ``order`` (hash ranks, Feistel permutations) and the ``audit``
the manifest records.
"""

from rt2data.mix.config import Mixture, load_mixture, mixture_from_dict
from rt2data.mix.plan import MixPlan, make_plan

__all__ = ["Mixture", "load_mixture", "mixture_from_dict", "MixPlan", "make_plan"]
