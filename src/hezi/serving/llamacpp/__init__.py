"""The llama.cpp engine: a worker process per deployed model that batches all its sequences together."""
