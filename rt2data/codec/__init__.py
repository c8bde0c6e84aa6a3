"""The action codec: action space -> normalization -> 256 bins -> action text -> vocabulary ids.

``ActionCodec`` (``action_codec``) is the facade; the stages it composes are ``action_space`` (named dimensions),
``normalize`` (q01_q99 / min_max / mean_std and their inverses), ``bins`` (uniform bins and bin centers),
``action_text`` (strict integer strings) and ``vocab`` (token-id mappings and constrained-decoding sets).
"""

from rt2data.codec.action_codec import ActionCodec, EncodedActions
from rt2data.codec.action_space import ActionSpace, Dimension
from rt2data.codec.bins import Discretizer
from rt2data.codec.normalize import Normalization

__all__ = ["ActionCodec", "EncodedActions", "ActionSpace", "Dimension", "Discretizer", "Normalization"]
