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
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import regex

try:
    from postguard._native import FeatureTable
except ImportError:  # built without a C compiler: the Python path gives the same scores, slower
    FeatureTable = None

# Features of lower-cased, normalised text (the engine's `lower`). Chinese has no spaces, so characters
# and character pairs stand in for words; Latin text gives words and adjacent word pairs; every character
# (emoji, #, @, ➕ too) is a feature of its own. All are found by C code: the set of characters, and
# regex scans (the stdlib's `re` is the faster of the two where it suffices).
_HAN_PAIR = regex.compile(r"\p{Han}{2}")
_WORDS = re.compile(r"[a-z][a-z0-9']*|\d+")
_WORD_PAIRS = re.compile(r"([a-z][a-z0-9']*|\d+)[ \t]+(?=([a-z][a-z0-9']*|\d+))")


def features(lower: str) -> set[str]:
    """The distinct features of a text (the same function trains the model and scores posts)."""
    found = set(lower)
    found.update(_HAN_PAIR.findall(lower, overlapped=True))
    found.update(_WORDS.findall(lower))
    found.update(map(" ".join, _WORD_PAIRS.findall(lower)))
    return found


_FUNCTION_WORDS = frozenset({
    "a", "an", "the", "and", "or", "but", "if", "of", "in", "on", "at", "to", "for", "from", "by", "with", "as",
    "is", "are", "was", "were", "be", "been", "am", "i", "me", "my", "we", "us", "our", "you", "your", "he",
    "him", "his", "she", "her", "it", "its", "they", "them", "their", "this", "that", "these", "those", "there",
    "here", "so", "not", "no", "do", "does", "did", "have", "has", "had", "will", "would", "can", "could",
    "just", "very", "too", "also", "then", "than", "up", "out", "about", "into", "over", "what", "who", "when",
    "how", "all", "any", "some", "one",
})


def _telling(feature: str) -> bool:
    if len(feature) < 2:
        return False
    if " " not in feature:  # a word, digits or a Han pair: only word pairs hold a space
        return feature not in _FUNCTION_WORDS
    return not all(w in _FUNCTION_WORDS for w in feature.split())


class ModelError(ValueError):
    """A model file that cannot be used; str() says what is wrong."""


# The weights of all the models in one file are packed into one integer per feature, one 32-bit lane per
# model, each weight in thousandths plus an offset that keeps the lane positive. Summing a post's ~250
# features is then one C-level sum of integers instead of five sums over five weight lists, which was
# most of the check's cost (the lists' floats are scattered in memory). A lane holds a sum of up to
# 2**32 / 2**15 = 131,072 features; the rounding moves a post's score by about 0.001.
SCALE = 1000
OFFSET = 1 << 14  # weights are kept within ±16
LANE = 32
_LANE_MASK = (1 << LANE) - 1


@dataclass(frozen=True, eq=False)
class ModelFile:
    """The models of one file: names, biases, recommended thresholds, and the weights."""

    names: tuple[str, ...]
    biases: tuple[float, ...]
    thresholds: tuple[float, ...]
    # the features in order, their weights in thousandths (native int32, feature by feature, one per model)
    # and which features are pairs of Han characters: what postguard._native's table is built from
    features: tuple[str, ...] = ()
    weights: bytes = b""
    han_pairs: bytes = b""

    # Built on first use and not kept in the policy cache (unpickling them cost ~20 ms of every start-up):
    # `packed` for the pure-Python scorer, the index and units for the weights a finding's `why` names.
    @cached_property
    def packed(self) -> dict[str, int]:
        """feature -> every model's weight, one lane each (see LANE)."""
        k = len(self.names)
        units, offsets = self._units, sum(OFFSET << (LANE * lane) for lane in range(k))
        return {feature: offsets + sum(units[i * k + lane] << (LANE * lane) for lane in range(k))
                for i, feature in enumerate(self.features)}

    @cached_property
    def _index(self) -> dict[str, int]:
        return {feature: i for i, feature in enumerate(self.features)}

    @cached_property
    def _units(self) -> array[int]:
        units = array("i")
        units.frombytes(self.weights)
        return units

    def text_logits(self, lower: str) -> tuple[float, ...]:
        """`logits` of the features of `lower`: by the C scorer where it is built, else in Python."""
        table = self._table
        if table is None:
            return self.logits(features(lower))
        return tuple(bias + s for bias, s in zip(self.biases, table.scores(lower), strict=True))

    @cached_property
    def _table(self) -> Any:
        if FeatureTable is None or not self.features:
            return None
        return FeatureTable(self.features, self.weights, len(self.names), self.han_pairs)

    def __getstate__(self) -> dict[str, Any]:
        # the C table, the packed weights, the index and the units are rebuilt on use
        return {k: v for k, v in self.__dict__.items() if k not in ("_table", "packed", "_index", "_units")}

    def logits(self, found: set[str]) -> tuple[float, ...]:
        """bias + the sum of the weights of the features present, for every model of the file."""
        values = list(filter(None, map(self.packed.get, found)))
        total, offset = sum(values), len(values) * OFFSET
        return tuple(bias + (((total >> (LANE * k)) & _LANE_MASK) - offset) / SCALE
                     for k, bias in enumerate(self.biases))

    def units(self, feature: str, k: int) -> int:
        """The feature's weight in model k, in thousandths (0 when the feature is unknown)."""
        i = self._index.get(feature)
        return 0 if i is None else self._units[i * len(self.names) + k]

    def positive_units(self, lower: str, k: int) -> int:
        """How much `lower` speaks for model k's category: the sum of its features' weights above zero, in
        thousandths (integers, so that the C scorer and Python agree exactly)."""
        table = self._table
        if table is not None:
            return int(table.positive_units(lower)[k])
        return sum(w for w in (self.units(f, k) for f in features(lower)) if w > 0)


@dataclass(frozen=True, eq=False)
class TextModel:
    """One category's model: P(violation) = sigmoid(bias + sum of the weights of the features present)."""

    name: str  # the category it was trained for
    file: ModelFile
    lane: int  # its position in the file
    threshold: float  # recommended by training (tools/train_model.py says how it is chosen)

    def probability(self, logits: tuple[float, ...]) -> float:
        z = logits[self.lane]
        return 1.0 / (1.0 + math.exp(-z)) if z > -500 else 0.0

    def strongest(self, found: set[str], n: int = 3) -> list[tuple[str, float]]:
        """The features that raise the score most, strongest first, among those a reader can make sense
        of: not single characters, and not English function words (the model weighs those too, but
        "from" or "her" explains nothing)."""
        units, lane = self.file.units, self.lane
        weighed = []
        for f in found:
            w = units(f, lane)
            if w > 0 and _telling(f):  # the weight first: most features weigh nothing here
                weighed.append((w, f))
        weighed.sort(reverse=True)
        return [(f, w / SCALE) for w, f in weighed[:n]]

    def evidence(self, lower: str, sentences: Iterable[tuple[int, int]]) -> tuple[int, int, set[str]]:
        """Of the sentences (spans of `lower`, as the engine splits them), the one whose features weigh
        most for this category (the whole text if none weighs), without surrounding blanks, and its
        features."""
        best, span = 0, (0, len(lower))
        for start, end in sentences:
            weight = self.file.positive_units(lower[start:end], self.lane)
            if weight > best:
                best, span = weight, (start, end)
        start, end = span
        found = features(lower[start:end]) if best else features(lower)
        while start < end and lower[start].isspace():
            start += 1
        while end > start and lower[end - 1].isspace():
            end -= 1
        return start, end, found


def load_models(path: str) -> dict[str, TextModel]:
    """The models in one model file, by name (its packed form comes from the policy cache when the file
    and the code are unchanged: decoding the JSON costs ~80 ms, the pickle ~5). Raises ModelError."""
    try:
        stat = Path(path).stat()
    except OSError as exc:
        raise ModelError(f"cannot read model file: {exc.strerror}") from None
    return _load_models(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _load_models(path: str, _mtime_ns: int, _size: int) -> dict[str, TextModel]:
    """load_models, once per version of the file: a file rewritten while the process runs is read again."""
    from postguard.policy.loader import cached

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read model file: {exc.strerror}") from None
    file = cached(path, data, lambda: _model_file(data))
    return {name: TextModel(name, file, k, file.thresholds[k]) for k, name in enumerate(file.names)}


def _model_file(data: bytes) -> ModelFile:
    try:
        content = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"not a JSON model file ({exc}); regenerate it with tools/train_model.py") from None
    try:
        vocabulary = content["features"]
        models = content["models"]
        thousandths = []  # per model: its weights as the integers both the packed lanes and the C table hold
        for name, m in models.items():
            if len(m["weights"]) != len(vocabulary):
                raise ModelError(f"model {name!r} has {len(m['weights'])} weights for {len(vocabulary)} features; "
                                 "regenerate it with tools/train_model.py")
            if any(abs(w) >= OFFSET / SCALE for w in m["weights"]):
                raise ModelError(f"model {name!r} has a weight beyond ±{OFFSET // SCALE}; retrain it with "
                                 "stronger regularisation")
            thousandths.append([round(w * SCALE) for w in m["weights"]])
        units = array("i", (w for row in zip(*thousandths, strict=True) for w in row))
        return ModelFile(tuple(models), tuple(float(m["bias"]) for m in models.values()),
                         tuple(float(m["threshold"]) for m in models.values()),
                         tuple(vocabulary), units.tobytes(),
                         bytes(_HAN_PAIR.fullmatch(f) is not None for f in vocabulary))
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, ModelError):
            raise
        raise ModelError(f"model file lacks or mangles {exc}; regenerate it with tools/train_model.py") from None
