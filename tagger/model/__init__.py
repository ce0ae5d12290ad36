"""The network: embeddings -> BiLSTM encoder -> head, built from a config by build_model."""
