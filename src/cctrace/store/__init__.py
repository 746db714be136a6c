"""Data folder, database, encryption at rest and the face vector index."""
