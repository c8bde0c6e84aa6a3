"""Test helpers shipped with rt2data: hypothesis strategies (``strategies``) users can reuse in their own tests."""

from rt2data.testing.strategies import action_spaces, actions_anywhere, actions_in, codecs, normalizations, token_arrays  # noqa: F401
