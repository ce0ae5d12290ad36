"""Bulk tagging on Ray Data (see blocks.py): `tagger tag --ray` (files.py) and
`tag_dataset` for a Ray Dataset (dataset.py)."""

from tagger.cluster.blocks import BlockResult, TagOptions, connect, plan_blocks, tag_blocks
from tagger.cluster.dataset import tag_dataset
from tagger.cluster.files import tag_files

__all__ = [
    "BlockResult",
    "TagOptions",
    "connect",
    "plan_blocks",
    "tag_blocks",
    "tag_dataset",
    "tag_files",
]
