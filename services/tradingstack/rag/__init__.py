"""The RAG service: a FAISS knowledge base over documents; embeddings from the embedder."""
