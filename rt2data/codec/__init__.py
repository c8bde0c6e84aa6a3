"""The action codec: action space -> normalization -> 256 bins -> action text -> vocabulary ids.

``ActionCodec`` (``action_codec``) is the facade; the stages it composes are ``action_space`` (named dimensions),
``normalize`` (q01_q99 / min_max / mean_std and their inverses), ``bins`` (uniform bins and bin centers),
``action_text`` (strict integer strings) and ``vocab`` (token-id mappings and constrained-decoding sets). Beside them:
``chunks`` (action chunks of H steps), ``tokenizers`` (real model tokenizers by file kind, imported lazily),
``token_report`` (per-bin token ids of a strategy in a tokenizer), ``constrained`` (the per-position trie and id mask)
and ``pretokenize`` (``input_ids``/``labels`` by the join rule).
"""

from rt2data.codec.action_codec import ActionCodec, EncodedActions
from rt2data.codec.action_space import ActionSpace, Dimension
from rt2data.codec.bins import Discretizer
from rt2data.codec.normalize import Normalization

__all__ = ["ActionCodec", "EncodedActions", "ActionSpace", "Dimension", "Discretizer", "Normalization"]
