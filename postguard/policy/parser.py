"""YAML policy packs -> Rule objects, with `file:line: rule-id: problem` errors.

YAML is composed into nodes first (the C loader when available) so every value keeps its line number.
The format is documented in docs/policies.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import regex
import yaml

from postguard.model import CATEGORIES, LANGUAGES, SEGMENT_KINDS, SEVERITIES, Reference
from postguard.policy.compiler import prefilter_clauses
from postguard.policy.loader import PolicyError
from postguard.policy.model import (
    Combination,
    Matcher,
    PackInfo,
    Rule,
    RuleExamples,
    WordWindow,
    compiled_regex,
)
from postguard.policy.prefilter import required_literals, start_literals
from postguard.policy.validators import VALIDATORS
from postguard.text import normalise

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader

PACK_KEYS = {"pack", "version", "description", "defaults", "lists", "rules"}
DEFAULT_KEYS = {"category", "languages", "segments", "references", "unless", "unless_label"}
RULE_KEYS = {
    "id", "category", "severity", "message", "advice", "references", "languages", "segments", "match",
    "context", "unless", "unless_label", "requires", "combine", "tags", "report", "fix", "tests",
    "description",
}
MATCHER_KEYS = {"regex", "keywords", "validator", "group", "case", "trigger", "min_digits", "context", "model",
                "threshold"}
MODEL_KEYS = {"model", "threshold", "context"}
WINDOW_KEYS = {"words", "regex", "window", "before", "after", "within", "outside_match"}
SENTENCE_REACH = 400  # `within: sentence` without a window: as far as the sentence goes, within reason
COMBINE_KEYS = {"tags", "min", "with"}
TEST_KEYS = {"match", "no_match", "todo_match", "todo_no_match"}
FIX_KEYS = {"action", "replacement", "suggestion"}
FIX_ACTIONS = {"replace", "generalise", "remove", "suggest", "disclose"}
REFERENCE_KEYS = {"title", "url"}
# `\b` beside a CJK character never matches inside running Chinese text (CJK characters are \w)
_CJK_WORD_BOUNDARY = regex.compile(r"\\b\p{Han}|\p{Han}\\b")


class _Ctx:
    """Where we are while converting nodes, for error messages."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.rule_id: str | None = None

    def fail(self, node: yaml.Node | None, problem: str) -> PolicyError:
        line = node.start_mark.line + 1 if node is not None else None
        return PolicyError(self.path, line, self.rule_id, problem)


# -- node helpers ---------------------------------------------------------------------------------

_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def _plain(node: yaml.Node) -> Any:
    """Convert a node to plain Python values (used for leaves)."""
    return _CONSTRUCTOR.construct_object(node, deep=True)


def _mapping(ctx: _Ctx, node: yaml.Node, allowed: set[str], what: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise ctx.fail(node, f"{what} must be a mapping")
    out: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = key_node.value
        if key not in allowed:
            raise ctx.fail(key_node, f"unknown key {key!r} in {what} (allowed: {', '.join(sorted(allowed))})")
        if key in out:
            raise ctx.fail(key_node, f"duplicate key {key!r} in {what}")
        out[key] = value_node
    return out


def _str(ctx: _Ctx, node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.tag.endswith((":null", ":bool", ":int", ":float")):
        raise ctx.fail(node, f"{what} must be a string")
    return str(node.value)


def _int(ctx: _Ctx, node: yaml.Node, what: str) -> int:
    if not isinstance(node, yaml.ScalarNode) or not node.tag.endswith(":int"):
        raise ctx.fail(node, f"{what} must be a whole number")
    value = int(node.value)
    if value < 0:
        raise ctx.fail(node, f"{what} must not be negative")
    return value


def _bool(ctx: _Ctx, node: yaml.Node, what: str) -> bool:
    if not isinstance(node, yaml.ScalarNode) or not node.tag.endswith(":bool"):
        raise ctx.fail(node, f"{what} must be true or false")
    return bool(_plain(node))


def _word(ctx: _Ctx, node: yaml.Node, what: str) -> str:
    """A list item: a string, or a number written without quotes (`120`, `999` are words here too).
    Booleans and nulls stay errors: YAML turns `no` and `on` into them silently."""
    if isinstance(node, yaml.ScalarNode) and node.tag.endswith((":int", ":float")):
        return str(node.value)
    return _str(ctx, node, what)


def _str_list(ctx: _Ctx, node: yaml.Node, what: str) -> list[str]:
    if isinstance(node, yaml.ScalarNode):
        return [_word(ctx, node, what)]
    if not isinstance(node, yaml.SequenceNode):
        raise ctx.fail(node, f"{what} must be a list of strings")
    return [_word(ctx, item, f"each item of {what}") for item in node.value]


def _node_list(node: yaml.Node) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else [node]


def _texts(ctx: _Ctx, node: yaml.Node, what: str) -> dict[str, str]:
    """A message in one language (plain string) or several ({en: ..., zh: ...})."""
    if isinstance(node, yaml.ScalarNode):
        return {"*": _str(ctx, node, what)}
    fields = _mapping(ctx, node, set(LANGUAGES), what)
    out = {lang: _str(ctx, value, f"{what}.{lang}") for lang, value in fields.items()}
    if not out:
        raise ctx.fail(node, f"{what} needs at least one language")
    return out


# -- the parts of a rule --------------------------------------------------------------------------

def _expand(ctx: _Ctx, node: yaml.Node, words: list[str], lists: dict[str, list[str]]) -> list[str]:
    out: list[str] = []
    for word in words:
        if word.startswith("@") and len(word) > 1:
            if word[1:] not in lists:
                raise ctx.fail(node, f"unknown word list {word!r} (define it under `lists:`)")
            out.extend(lists[word[1:]])
        else:
            out.append(word)
    return out


def _normalise_keyword(word: str) -> str:
    return normalise(word).text.lower().strip()


def _compile_regex(ctx: _Ctx, node: yaml.Node, source: str, ignore_case: bool) -> tuple[Any, int]:
    """Validate (compile) a pattern; returns (compiled, flags). The compiled form is kept per process."""
    if _CJK_WORD_BOUNDARY.search(source):
        raise ctx.fail(node, "\\b next to a Chinese character never matches inside Chinese text; "
                             "use a lookaround such as (?<!\\d) instead")
    flags = int(regex.IGNORECASE) if ignore_case else 0
    try:
        return compiled_regex(source, flags), flags
    except regex.error as exc:
        raise ctx.fail(node, f"invalid regular expression {source!r}: {exc}") from None


def _matcher(ctx: _Ctx, node: yaml.Node, lists: dict[str, list[str]]) -> Matcher:
    if isinstance(node, yaml.ScalarNode):  # a bare string is a regex
        source = _str(ctx, node, "match")
        flags = _compile_regex(ctx, node, source, True)[1]
        return Matcher("regex", flags, source, required=required_literals(source, flags))
    fields = _mapping(ctx, node, MATCHER_KEYS, "a matcher")
    if "model" in fields:
        return _model_matcher(ctx, node, fields, lists)
    if "threshold" in fields:
        raise ctx.fail(fields["threshold"], "`threshold` applies to `model` matchers only")
    if ("regex" in fields) == ("keywords" in fields):
        raise ctx.fail(node, "a matcher needs exactly one of `regex`, `keywords` or `model`")
    validator = None
    if "validator" in fields:
        validator = _str(ctx, fields["validator"], "validator")
        if validator not in VALIDATORS:
            raise ctx.fail(fields["validator"], f"unknown validator {validator!r} "
                                                f"(known: {', '.join(sorted(VALIDATORS))})")
    ignore_case = True
    if "case" in fields:
        case = _str(ctx, fields["case"], "case")
        if case not in ("sensitive", "insensitive"):
            raise ctx.fail(fields["case"], "case must be `sensitive` or `insensitive`")
        ignore_case = case == "insensitive"
    if "keywords" in fields:
        words = _expand(ctx, fields["keywords"], _str_list(ctx, fields["keywords"], "keywords"), lists)
        keywords = tuple(dict.fromkeys(k for k in (_normalise_keyword(w) for w in words) if k))
        if not keywords:
            raise ctx.fail(fields["keywords"], "keywords must not be empty")
        for key in ("group", "trigger", "min_digits"):
            if key in fields:
                raise ctx.fail(fields[key], f"`{key}` applies to regex matchers only")
        require, exclude = _context(ctx, fields["context"], lists) if "context" in fields else ((), ())
        return Matcher("keywords", 0, "keywords", keywords, validator, require=require, exclude=exclude)
    source = _str(ctx, fields["regex"], "regex")
    pattern, flags = _compile_regex(ctx, fields["regex"], source, ignore_case)
    group: str | int | None = None
    if "group" in fields:
        raw = _plain(fields["group"])
        if isinstance(raw, int):
            if raw > pattern.groups:
                raise ctx.fail(fields["group"], f"the regex has no group {raw}")
        elif not isinstance(raw, str) or raw not in pattern.groupindex:
            raise ctx.fail(fields["group"], f"the regex has no group named {raw!r}")
        group = raw
    elif "ev" in pattern.groupindex:
        group = "ev"
    triggers: tuple[str, ...] = ()
    if "trigger" in fields:
        words = _expand(ctx, fields["trigger"], _str_list(ctx, fields["trigger"], "trigger"), lists)
        triggers = tuple(dict.fromkeys(k for k in (_normalise_keyword(w) for w in words) if k))
        if not triggers:
            raise ctx.fail(fields["trigger"], "trigger must not be empty")
    min_digits = _int(ctx, fields["min_digits"], "min_digits") if "min_digits" in fields else 0
    require, exclude = _context(ctx, fields["context"], lists) if "context" in fields else ((), ())
    return Matcher("regex", flags, source, (), validator, group, triggers, min_digits,
                   required_literals(source, flags), require, exclude)


def _model_matcher(ctx: _Ctx, node: yaml.Node, fields: dict[str, yaml.Node], lists: dict[str, list[str]]) -> Matcher:
    """`model: FILE#NAME` (FILE relative to the pack), optionally `threshold: 0..1` and `context`."""
    from postguard.statistical import ModelError, load_models

    for key in fields:
        if key not in MODEL_KEYS:
            raise ctx.fail(fields[key], f"`{key}` does not apply to a `model` matcher "
                                        f"(it takes {', '.join(sorted(MODEL_KEYS))})")
    spec = _str(ctx, fields["model"], "model")
    file, _, name = spec.partition("#")
    if not file or not name:
        raise ctx.fail(fields["model"], "write `model: FILE#NAME`, e.g. models/statistical.json#unprofessional")
    path = (Path(ctx.path).resolve().parent / file).resolve()
    try:
        models = load_models(str(path))
    except ModelError as exc:
        raise ctx.fail(fields["model"], f"{file}: {exc}") from None
    if name not in models:
        raise ctx.fail(fields["model"], f"{file} has no model {name!r} (it has {', '.join(sorted(models))})")
    threshold = 0.0
    if "threshold" in fields:
        raw = _plain(fields["threshold"])
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 0 < raw < 1:
            raise ctx.fail(fields["threshold"], "threshold must be a number between 0 and 1, e.g. 0.8")
        threshold = float(raw)
    require, exclude = _context(ctx, fields["context"], lists) if "context" in fields else ((), ())
    return Matcher("model", 0, str(path), require=require, exclude=exclude, model=name, threshold=threshold)


def _context(
    ctx: _Ctx, node: yaml.Node, lists: dict[str, list[str]]
) -> tuple[tuple[WordWindow, ...], tuple[WordWindow, ...]]:
    """`context: {require: ..., exclude: ...}` of a rule or of one matcher."""
    cf = _mapping(ctx, node, {"require", "exclude"}, "context")
    require = _windows(ctx, cf["require"], lists) if "require" in cf else ()
    exclude = _windows(ctx, cf["exclude"], lists) if "exclude" in cf else ()
    return require, exclude


def _post_matchers(ctx: _Ctx, node: yaml.Node, lists: dict[str, list[str]], key: str) -> tuple[Matcher, ...]:
    """Matchers of `unless` / `requires`: they look at the whole post, so a context window means nothing."""
    matchers = _matchers(ctx, node, lists)
    if any(m.require or m.exclude for m in matchers):
        raise ctx.fail(node, f"`context` applies to `match` matchers, not to `{key}`")
    return matchers


def _matchers(ctx: _Ctx, node: yaml.Node, lists: dict[str, list[str]]) -> tuple[Matcher, ...]:
    return tuple(_matcher(ctx, item, lists) for item in _node_list(node))


def _window(ctx: _Ctx, node: yaml.Node, lists: dict[str, list[str]]) -> WordWindow:
    if isinstance(node, yaml.SequenceNode):  # a bare list of words, default window
        bare = _expand(ctx, node, _str_list(ctx, node, "context words"), lists)
        return WordWindow(tuple(_normalise_keyword(w) for w in bare))
    fields = _mapping(ctx, node, WINDOW_KEYS, "a context window")
    if "words" not in fields and "regex" not in fields:
        raise ctx.fail(node, "a context window needs `words` or `regex`")
    words: list[str] = []
    if "words" in fields:
        words = _expand(ctx, fields["words"], _str_list(ctx, fields["words"], "words"), lists)
    patterns: list[tuple[str, int]] = []
    if "regex" in fields:
        for item in _node_list(fields["regex"]):
            source = _str(ctx, item, "regex")
            patterns.append((source, _compile_regex(ctx, item, source, True)[1]))
    sentence = False
    if "within" in fields:
        if _str(ctx, fields["within"], "within") != "sentence":
            raise ctx.fail(fields["within"], "within must be `sentence`")
        sentence = True
    default = SENTENCE_REACH if sentence else 20
    window = _int(ctx, fields["window"], "window") if "window" in fields else default
    before = _int(ctx, fields["before"], "before") if "before" in fields else window
    after = _int(ctx, fields["after"], "after") if "after" in fields else window
    outside = _bool(ctx, fields["outside_match"], "outside_match") if "outside_match" in fields else False
    return WordWindow(tuple(_normalise_keyword(w) for w in words if w.strip()), tuple(patterns), before, after,
                      sentence, outside)


def _windows(ctx: _Ctx, node: yaml.Node, lists: dict[str, list[str]]) -> tuple[WordWindow, ...]:
    if isinstance(node, yaml.SequenceNode) and node.value and isinstance(node.value[0], yaml.MappingNode):
        return tuple(_window(ctx, item, lists) for item in node.value)
    return (_window(ctx, node, lists),)


def _references(ctx: _Ctx, node: yaml.Node) -> tuple[Reference, ...]:
    if not isinstance(node, yaml.SequenceNode):
        raise ctx.fail(node, "references must be a list of {title, url}")
    refs = []
    for item in node.value:
        fields = _mapping(ctx, item, REFERENCE_KEYS, "a reference")
        if "title" not in fields:
            raise ctx.fail(item, "a reference needs a title")
        url = _str(ctx, fields["url"], "url") if "url" in fields else None
        if url is not None and not url.startswith(("http://", "https://")):
            raise ctx.fail(fields["url"], "a reference url must start with http:// or https://")
        refs.append(Reference(_str(ctx, fields["title"], "title"), url))
    return tuple(refs)


def _choice_list(ctx: _Ctx, node: yaml.Node, allowed: Iterable[str], what: str) -> tuple[str, ...]:
    values = _str_list(ctx, node, what)
    allowed = tuple(allowed)
    for v in values:
        if v not in allowed:
            raise ctx.fail(node, f"unknown {what} value {v!r} (allowed: {', '.join(allowed)})")
    if not values:
        raise ctx.fail(node, f"{what} must not be empty")
    return tuple(values)


def _example(ctx: _Ctx, node: yaml.Node, what: str) -> tuple[str, str]:
    """A string is post text; `{ocr: "..."}` or `{metadata: "GPSInfo: ..."}` names another segment kind."""
    if isinstance(node, yaml.MappingNode):
        fields = _mapping(ctx, node, set(SEGMENT_KINDS), f"an example in {what}")
        if len(fields) != 1:
            raise ctx.fail(node, f"an example in {what} names one segment kind, e.g. {{ocr: \"...\"}}")
        ((kind, value),) = fields.items()
        return kind, _str(ctx, value, f"{what}.{kind}")
    return "text", _word(ctx, node, f"each item of {what}")


def _examples(ctx: _Ctx, node: yaml.Node) -> RuleExamples:
    fields = _mapping(ctx, node, TEST_KEYS, "tests")
    got = {}
    for key, value in fields.items():
        if not isinstance(value, yaml.SequenceNode):
            raise ctx.fail(value, f"tests.{key} must be a list of examples")
        got[key] = tuple(_example(ctx, item, f"tests.{key}") for item in value.value)
    return RuleExamples(**got)


def _fix(ctx: _Ctx, node: yaml.Node) -> dict[str, Any]:
    fields = _mapping(ctx, node, FIX_KEYS, "fix")
    if "action" not in fields:
        raise ctx.fail(node, f"fix needs an action ({', '.join(sorted(FIX_ACTIONS))})")
    action = _str(ctx, fields["action"], "fix.action")
    if action not in FIX_ACTIONS:
        raise ctx.fail(fields["action"], f"unknown fix action {action!r} ({', '.join(sorted(FIX_ACTIONS))})")
    out: dict[str, Any] = {"action": action}
    for key in ("replacement", "suggestion"):
        if key in fields:
            out[key] = _texts(ctx, fields[key], f"fix.{key}")
    if action in ("replace", "generalise", "disclose") and "replacement" not in out:
        raise ctx.fail(node, f"fix action {action!r} needs a replacement")
    return out


def _lang_texts(texts: dict[str, str]) -> dict[str, str]:
    """A plain-string message serves every language."""
    if "*" in texts:
        return {lang: texts["*"] for lang in LANGUAGES}
    return texts


def _rule(
    ctx: _Ctx, node: yaml.Node, defaults: dict[str, yaml.Node], lists: dict[str, list[str]], pack: str
) -> Rule:
    ctx.rule_id = None
    if isinstance(node, yaml.MappingNode):  # name the rule in every error, even an unknown-key one
        for key_node, value_node in node.value:
            if key_node.value == "id" and isinstance(value_node, yaml.ScalarNode):
                ctx.rule_id = str(value_node.value)
    fields = _mapping(ctx, node, RULE_KEYS, "a rule")
    if "id" not in fields:
        raise ctx.fail(node, "a rule needs an `id`")
    rule_id = _str(ctx, fields["id"], "id")
    if not regex.fullmatch(r"[a-z0-9][a-z0-9.\-_]*", rule_id):
        raise ctx.fail(fields["id"], f"rule id {rule_id!r} must be lower-case letters, digits, '-', '.', '_'")
    ctx.rule_id = rule_id
    merged = {**defaults, **fields}
    is_combination = "combine" in fields
    for key in ("category", "severity", "message", "advice", "references"):
        if key not in merged:
            raise ctx.fail(node, f"missing `{key}`")
    if not is_combination and "match" not in fields:
        raise ctx.fail(node, "a rule needs `match` (or `combine` for a combination rule)")
    if is_combination and "match" in fields:
        raise ctx.fail(fields["combine"], "a rule has either `match` or `combine`, not both")
    category = _str(ctx, merged["category"], "category")
    if category not in CATEGORIES:
        raise ctx.fail(merged["category"], f"unknown category {category!r} (one of {', '.join(CATEGORIES)})")
    severity = _str(ctx, merged["severity"], "severity")
    if severity not in SEVERITIES:
        raise ctx.fail(merged["severity"], f"unknown severity {severity!r} (one of {', '.join(SEVERITIES)})")
    combine = None
    if is_combination:
        cf = _mapping(ctx, fields["combine"], COMBINE_KEYS, "combine")
        if "tags" not in cf:
            raise ctx.fail(fields["combine"], "combine needs `tags`")
        combine = Combination(
            tuple(_str_list(ctx, cf["tags"], "combine.tags")),
            _int(ctx, cf["min"], "combine.min") if "min" in cf else 2,
            tuple(_str_list(ctx, cf["with"], "combine.with")) if "with" in cf else (),
        )
    require, exclude = _context(ctx, fields["context"], lists) if "context" in fields else ((), ())
    rule = Rule(
        id=rule_id,
        category=category,
        severity=severity,
        messages=_lang_texts(_texts(ctx, merged["message"], "message")),
        advices=_lang_texts(_texts(ctx, merged["advice"], "advice")),
        references=_references(ctx, merged["references"]),
        languages=_choice_list(ctx, merged["languages"], LANGUAGES, "languages")
        if "languages" in merged else LANGUAGES,
        segments=_choice_list(ctx, merged["segments"], SEGMENT_KINDS, "segments")
        if "segments" in merged else ("text", "ocr"),
        matchers=_matchers(ctx, fields["match"], lists) if "match" in fields else (),
        require=require,
        exclude=exclude,
        unless=_post_matchers(ctx, merged["unless"], lists, "unless") if "unless" in merged else (),
        unless_label=_str(ctx, merged["unless_label"], "unless_label") if "unless_label" in merged else "",
        post_require=_post_matchers(ctx, fields["requires"], lists, "requires") if "requires" in fields else (),
        combine=combine,
        tags=tuple(_str_list(ctx, fields["tags"], "tags")) if "tags" in fields else (),
        report=_bool(ctx, fields["report"], "report") if "report" in fields else True,
        fix=_fix(ctx, fields["fix"]) if "fix" in fields else None,
        examples=_examples(ctx, fields["tests"]) if "tests" in fields else RuleExamples(),
        pack=pack,
        source=f"{ctx.path}:{node.start_mark.line + 1}",
        description=_str(ctx, fields["description"], "description") if "description" in fields else "",
    )
    # rank the prefilter clauses and find the start words now, so that the parsed-pack cache spares every
    # later start-up the work
    return replace(rule, matchers=tuple(
        replace(m, prefilter=prefilter_clauses(m, rule), start_words=start_literals(m.source, m.flags) or frozenset())
        if m.kind == "regex" else m for m in rule.matchers))


def parse_pack(shown: str, data: bytes) -> tuple[PackInfo, list[Rule]]:
    ctx = _Ctx(shown)
    try:
        root = yaml.compose(data.decode("utf-8-sig"), Loader=_Loader)
    except UnicodeDecodeError:
        raise PolicyError(shown, None, None, "policy files must be UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PolicyError(shown, line, None, f"invalid YAML: {problem}") from None
    if root is None:
        raise PolicyError(shown, None, None, "the policy file is empty")
    fields = _mapping(ctx, root, PACK_KEYS, "a policy pack")
    if "rules" not in fields or not isinstance(fields["rules"], yaml.SequenceNode):
        raise ctx.fail(root, "a policy pack needs a `rules:` list")
    name = _str(ctx, fields["pack"], "pack") if "pack" in fields else Path(shown).stem
    version = str(_plain(fields["version"])) if "version" in fields else "0"
    defaults = _mapping(ctx, fields["defaults"], DEFAULT_KEYS, "defaults") if "defaults" in fields else {}
    lists: dict[str, list[str]] = {}
    if "lists" in fields:
        if not isinstance(fields["lists"], yaml.MappingNode):
            raise ctx.fail(fields["lists"], "lists must be a mapping of name: [words]")
        for key_node, value_node in fields["lists"].value:
            lists[key_node.value] = _str_list(ctx, value_node, f"lists.{key_node.value}")
    rules = [_rule(ctx, node, defaults, lists, name) for node in fields["rules"].value]
    info = PackInfo(name, version, shown,
                    _str(ctx, fields["description"], "description") if "description" in fields else "")
    return info, rules


