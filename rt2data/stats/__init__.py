"""Action statistics: a mergeable quantile ``sketch``, exact-sum ``accumulators`` per action dimension and proprio
state, and the ``statistics_file`` (OpenVLA layout + an rt2data block) they are written to.
"""

from rt2data.stats.statistics_file import StatsFile, load_stats, write_stats

__all__ = ["StatsFile", "load_stats", "write_stats"]
