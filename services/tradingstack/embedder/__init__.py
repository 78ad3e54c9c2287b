"""The embedder service: text, sentiment and time-series embeddings (DESIGN.md rule 3)."""
