"""spaCy language codes, checked without importing spaCy for the languages it ships."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

LANGUAGE_EXPECTED = "a spaCy language code (en, de, fr, ...)"
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")  # a plain module name: no dots, slashes or spaces


def check_language(code: str, what: str) -> None:
    """Raise ValueError naming `what` (e.g. `data.lang`) unless spaCy knows the language `code`."""
    if not is_language(code):
        raise ValueError(f"{what}: expected {LANGUAGE_EXPECTED}, got {code!r}")


def is_language(code: str) -> bool:
    """Whether spacy.blank(code) finds a Language class: a folder of spacy/lang (read from
    the disk, fast), else what spaCy's registry or language matching finds (imports spaCy)."""
    if not isinstance(code, str) or _CODE.fullmatch(code) is None:
        return False
    spec = importlib.util.find_spec("spacy")  # locates spaCy; does not import it
    folders = spec.submodule_search_locations if spec is not None else None
    if any((Path(folder) / "lang" / code / "__init__.py").is_file() for folder in folders or ()):
        return True
    return _registered(code)


def _registered(code: str) -> bool:
    """A language of a plugin's entry point, or one spaCy matches to a code it ships ('eng')."""
    try:
        from spacy.language import Language
        from spacy.util import get_lang_class

        return issubclass(get_lang_class(code), Language)
    except Exception:  # noqa: BLE001  spaCy raises ImportError, or worse for odd module names
        return False
