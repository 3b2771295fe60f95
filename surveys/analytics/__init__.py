"""Text analytics of customer comments as plain functions over plain data (no database, no Django).

- ``sentiment``: VADER (NLTK's rules, vaderSentiment's lexicon) extended by the CX lexicon, and
  the lexicon fallback of the negative flag.
- ``negative_model`` / ``negative_flag``: the supervised model, and the rule that combines a
  score band with the text.
- ``themes`` / ``discovery``: taxonomy themes (keywords or a classifier) and emerging topics.
- ``associations``: words and phrases that set a group of comments apart.
- ``analysis``: ``analyse_comment`` / ``analyse_comments``, the per-response entry point.
- ``model_store``: models to bytes and back; ``evaluation`` and ``datasets`` for figures.

Import from the modules. Nothing is re-exported here: importing the package must stay cheap,
so that a web process that never trains or scores a model does not load scikit-learn and NLTK.
"""
