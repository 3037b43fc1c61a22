"""The channel corpus, first half of the attacks (the tests: tests/channel_corpus_suite.py)."""
from channel_corpus_suite import *  # noqa: F401,F403 (the tests and their fixture)
from channel_corpus_suite import pytest_generate_tests  # noqa: F401 (parametrizes them for this half)

PART = 0
