"""The formats a corpus file can be in, by kind, and the suffixes that name them: kept apart
from tagger.data.corpus so that tagging (which reads no corpus) does not import the
`datasets` library."""

TOKEN_FORMATS = ("conllu", "conll", "parquet", "json")
SENTENCE_FORMATS = ("labels", "tsv", "csv", "parquet", "json", "sst-trees")
FILE_FORMATS = tuple(dict.fromkeys(TOKEN_FORMATS + SENTENCE_FORMATS))
# Suffixes that name a format (of a file, or of a pipe called dev.conllu).
SUFFIX_FORMATS = {
    ".conllu": "conllu",
    ".parquet": "parquet",
    ".json": "json",
    ".jsonl": "json",
    ".tsv": "tsv",
    ".csv": "csv",
}
