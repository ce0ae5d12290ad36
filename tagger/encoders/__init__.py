"""A pretrained Hugging Face encoder as word features: loading, alignment, windows.

Nothing here imports transformers at import time; `load_encoder` does, when called.
"""

from tagger.encoders.load import LoadedEncoder, encoder_dir, load_encoder
from tagger.encoders.words import WordEncoder

__all__ = ["LoadedEncoder", "WordEncoder", "encoder_dir", "load_encoder"]
