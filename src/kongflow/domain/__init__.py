"""Domain vocabulary shared by the database layer and the protocol models."""
