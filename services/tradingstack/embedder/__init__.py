"""The embedder service: text, sentiment and time-series embeddings.

The only one that loads encoders (docs/architecture.md, data-flow rule 3).
"""
