"""Documents in: load, chunk, embed, store, search."""
