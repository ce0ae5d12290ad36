"""tagger: BiLSTM sequence labelling (POS, NER, sentence labels) for the CLI and spaCy."""

__version__ = "0.1.0"
