"""Configuration: `--config FILE`, else `.postguard.yml` (or `[tool.postguard]` in pyproject.toml) found
upward from the working directory, else defaults. Every value remembers where it came from."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from postguard.model import SEVERITIES
from postguard.scan import ConfigIgnore

CONFIG_NAMES = (".postguard.yml", ".postguard.yaml")
OCR_KEYS = {"languages", "psm", "min_confidence", "upscale_below", "max_side"}
KEYS = {
    "packs": "extra policy pack files or folders (list)",
    "builtin_packs": "use the built-in packs (true/false)",
    "rules": "per-rule settings: {rule-id: off | low | medium | high | critical}",
    "allow": "allow list: your own name, hospital, switchboard numbers (list of strings)",
    "fail_on": "exit 1 at or above this severity: low | medium | high | critical | never",
    "mask": "mask identifiers in reports (true/false)",
    "jobs": "worker processes for OCR (number)",
    "lang": "interface language: en | zh",
    "ocr": f"OCR settings: {', '.join(sorted(OCR_KEYS))}",
    "cache_dir": "OCR cache folder",
    "ignore": "suppressions: [{rule, path, reason, match}]",
    "exclude": "glob patterns of paths not to scan (list)",
    "paths": "what `postguard scan` scans when no path is given (list)",
}


class ConfigError(Exception):
    """One line: `file:line: problem`."""


@dataclass
class Config:
    path: str | None = None
    policies: list[str] = field(default_factory=list)
    builtin_packs: bool = True
    disabled_rules: list[str] = field(default_factory=list)
    severity_overrides: dict[str, str] = field(default_factory=dict)
    allow: list[str] = field(default_factory=list)
    fail_on: str = "high"
    mask: bool = False
    jobs: int | None = None
    lang: str | None = None
    ocr: dict[str, Any] = field(default_factory=dict)
    cache_dir: str | None = None
    ignores: list[ConfigIgnore] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)  # key -> "file:line" or "default"


def find_config(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.postguard]" in pyproject.read_text(encoding="utf-8", errors="replace"):
            return pyproject
    return None


def load_config(path: str | None = None) -> Config:
    found = Path(path) if path else find_config()
    if found is None:
        return Config(origins={k: "default" for k in KEYS})
    if path and not found.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    if found.name == "pyproject.toml":
        return _from_pyproject(found)
    import yaml  # only when there is a file to read: YAML is the slowest import of start-up

    try:
        text = found.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{found}: cannot read configuration: {exc}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{found}{line}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if root is None:
        return Config(path=str(found), origins={k: "default" for k in KEYS})
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{found}:1: the configuration must be a mapping of key: value")
    values: dict[str, tuple[Any, int]] = {}
    constructor = yaml.constructor.SafeConstructor()
    for key_node, value_node in root.value:
        values[key_node.value] = (constructor.construct_object(value_node, deep=True), key_node.start_mark.line + 1)
    return _build(str(found), values)


def _from_pyproject(path: Path) -> Config:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef,unused-ignore]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except Exception as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    section = data.get("tool", {}).get("postguard", {})
    lines = _toml_key_lines(path)
    return _build(str(path), {k: (v, lines.get(k, 0)) for k, v in section.items()})


def _toml_key_lines(path: Path) -> dict[str, int]:
    lines: dict[str, int] = {}
    inside = False
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        s = line.strip()
        if s.startswith("["):
            inside = s == "[tool.postguard]"
        elif inside and "=" in s and not s.startswith("#"):
            lines.setdefault(s.split("=", 1)[0].strip(), i)
    return lines


def _build(path: str, values: dict[str, tuple[Any, int]]) -> Config:
    cfg = Config(path=path, origins={k: "default" for k in KEYS})
    base = Path(path).parent

    def fail(line: int, problem: str) -> ConfigError:
        return ConfigError(f"{path}:{line}: {problem}" if line else f"{path}: {problem}")

    def str_list(key: str, value: Any, line: int) -> list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            raise fail(line, f"`{key}` must be a list of strings")
        return [str(v) for v in value]

    for key, (value, line) in values.items():
        if key not in KEYS:
            raise fail(line, f"unknown key `{key}` (known: {', '.join(KEYS)})")
        cfg.origins[key] = f"{path}:{line}" if line else path
        if key == "packs":
            cfg.policies = [str(base / p) for p in str_list(key, value, line)]
        elif key == "builtin_packs" or key == "mask":
            if not isinstance(value, bool):
                raise fail(line, f"`{key}` must be true or false")
            setattr(cfg, key, value)
        elif key == "rules":
            if not isinstance(value, dict):
                raise fail(line, "`rules` must map rule ids to off or a severity")
            for rule_id, setting in value.items():
                setting = "off" if setting is False else str(setting)
                if setting == "off":
                    cfg.disabled_rules.append(str(rule_id))
                elif setting in SEVERITIES:
                    cfg.severity_overrides[str(rule_id)] = setting
                else:
                    raise fail(line, f"rule {rule_id}: `{setting}` is not off or a severity ({', '.join(SEVERITIES)})")
        elif key == "allow":
            cfg.allow = str_list(key, value, line)
        elif key == "fail_on":
            if value not in (*SEVERITIES, "never"):
                raise fail(line, f"`fail_on` must be one of {', '.join(SEVERITIES)}, never")
            cfg.fail_on = value
        elif key == "jobs":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise fail(line, "`jobs` must be a whole number of at least 1")
            cfg.jobs = value
        elif key == "lang":
            if value not in ("en", "zh"):
                raise fail(line, "`lang` must be en or zh")
            cfg.lang = value
        elif key == "ocr":
            if not isinstance(value, dict) or set(value) - OCR_KEYS:
                raise fail(line, f"`ocr` takes only {', '.join(sorted(OCR_KEYS))}")
            cfg.ocr = dict(value)
        elif key == "cache_dir":
            cfg.cache_dir = str(base / str(value))
        elif key == "ignore":
            if not isinstance(value, list):
                raise fail(line, "`ignore` must be a list of {rule, path, reason}")
            for item in value:
                if not isinstance(item, dict) or not item.get("rule") or not str(item.get("reason") or "").strip():
                    raise fail(line, "each `ignore` entry needs `rule` and a `reason`")
                extra = set(item) - {"rule", "path", "reason", "match"}
                if extra:
                    raise fail(line, f"unknown key `{sorted(extra)[0]}` in an ignore entry")
                cfg.ignores.append(ConfigIgnore(str(item["rule"]), str(item["reason"]), str(item.get("path", "*")),
                                                item.get("match"), f"{path}:{line}"))
        elif key == "exclude":
            cfg.exclude = str_list(key, value, line)
        elif key == "paths":
            cfg.paths = str_list(key, value, line)
    return cfg


def excluded(cfg: Config, path: str | None) -> bool:
    if not path or not cfg.exclude:
        return False
    p = Path(path).as_posix()
    return any(fnmatch.fnmatch(p, pat) or fnmatch.fnmatch(os.path.basename(p), pat) for pat in cfg.exclude)
