"""The imperative shell around the engine: a resident's message in, the engine's turn,
the store's rows out."""
