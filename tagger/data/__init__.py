"""Corpora in, tensors out: readers, catalog, tokenization, vocabularies, batching."""
