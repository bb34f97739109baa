"""Statistical checks: a linear model per category over the words of a post, kept as data beside the packs.

The hand-written rules are precise but each covers the wordings its author thought of; on posts nobody
on the team had read they miss a fifth to a quarter of the violations. A logistic-regression model over
words (English words and word pairs, Chinese characters and character pairs) catches many of those, and
it is cheap: about a hundred features per post, each one dictionary lookup per category.

The model is data (`policies/models/*.json`, written by tools/train_model.py), used by a `model` matcher
in a pack, so it is reviewed, switched off and re-weighted like any rule. Its findings name the sentence
that weighs most and the words that weigh most in it, so a reader can see why.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import regex

# Features of lower-cased, normalised text (the engine's `lower`). Chinese has no spaces, so characters
# and character pairs stand in for words; Latin text gives words and adjacent word pairs; every character
# (emoji, #, @, ➕ too) is a feature of its own. All are found by C code: the set of characters, and
# regex scans (the stdlib's `re` is the faster of the two where it suffices).
_HAN_PAIR = regex.compile(r"\p{Han}{2}")
_WORDS = re.compile(r"[a-z][a-z0-9']*|\d+")
_WORD_PAIRS = re.compile(r"([a-z][a-z0-9']*|\d+)[ \t]+(?=([a-z][a-z0-9']*|\d+))")
# a sentence, for choosing the evidence: up to a Chinese or English stop or a line break
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*")


def features(lower: str) -> set[str]:
    """The distinct features of a text (the same function trains the model and scores posts)."""
    found = set(lower)
    found.update(_HAN_PAIR.findall(lower, overlapped=True))
    found.update(_WORDS.findall(lower))
    found.update(map(" ".join, _WORD_PAIRS.findall(lower)))
    return found


class ModelError(ValueError):
    """A model file that cannot be used; str() says what is wrong."""


@dataclass(frozen=True, eq=False)
class TextModel:
    """One category's model: P(violation) = sigmoid(bias + sum of the weights of the features present).
    Features are looked up once per post in `index` (shared by the models of one file) and weighed by
    position, which costs a fifth of looking each one up in five dictionaries."""

    name: str  # the category it was trained for
    bias: float
    index: dict[str, int]  # feature -> position in `weights` (from 1; 0 weighs nothing)
    weights: list[float]
    threshold: float  # recommended by training: the lowest with the precision target met out of fold

    def ids(self, found: set[str]) -> list[int]:
        """Positions of the features present (shared by every model of the same file)."""
        return list(filter(None, map(self.index.get, found)))

    def probability(self, ids: list[int]) -> float:
        z = self.bias + sum(map(self.weights.__getitem__, ids))
        return 1.0 / (1.0 + math.exp(-z)) if z > -500 else 0.0

    def strongest(self, found: set[str], n: int = 3) -> list[tuple[str, float]]:
        """The features that raise the score most, strongest first."""
        weighed = ((self.weights[self.index.get(f, 0)], f) for f in found)
        return [(f, w) for w, f in sorted((x for x in weighed if x[0] > 0), reverse=True)[:n]]

    def evidence(self, lower: str) -> tuple[int, int]:
        """The span of the sentence whose features weigh most for this category (the whole text if none)."""
        best, span = 0.0, (0, len(lower))
        weights = self.weights
        for m in _SENTENCE.finditer(lower):
            weight = sum(w for w in map(weights.__getitem__, self.ids(features(m.group()))) if w > 0)
            if weight > best:
                best, span = weight, m.span()
        start, end = span
        while start < end and lower[start].isspace():  # evidence without surrounding blanks
            start += 1
        while end > start and lower[end - 1].isspace():
            end -= 1
        return start, end


@lru_cache(maxsize=16)
def load_models(path: str) -> dict[str, TextModel]:
    """The models in one model file, by name. Raises ModelError with what to do."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelError(f"cannot read model file: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"not a JSON model file ({exc}); regenerate it with tools/train_model.py") from None
    try:
        vocabulary = data["features"]
        index = {f: i for i, f in enumerate(vocabulary, 1)}
        models = {}
        for name, m in data["models"].items():
            if len(m["weights"]) != len(vocabulary):
                raise ModelError(f"model {name!r} has {len(m['weights'])} weights for {len(vocabulary)} features; "
                                 "regenerate it with tools/train_model.py")
            models[name] = TextModel(name, float(m["bias"]), index, [0.0, *map(float, m["weights"])],
                                     float(m["threshold"]))
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, ModelError):
            raise
        raise ModelError(f"model file lacks or mangles {exc}; regenerate it with tools/train_model.py") from None
    return models
