"""Articles to stories: duplicates, embeddings, clustering."""
