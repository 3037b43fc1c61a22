"""The channel corpus, second half of the attacks (the tests: tests/channel_corpus_suite.py)."""
from channel_corpus_suite import half_of_the_corpus

PART = 1
globals().update(half_of_the_corpus(PART))
