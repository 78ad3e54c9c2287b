"""The LLM analyst: market analyses composed from the other services, and chat."""
