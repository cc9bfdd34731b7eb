"""Reading a config from untrusted text and plain data, with its cost bounded before anything is parsed.

Links and imported files come from anyone a teacher's server is open to: a 120 KB link, thousands of '[' or 5,000
bad entries must cost the server milliseconds and come back as a few sentences, never a RecursionError or a minute
of CPU. Every size is checked BEFORE parsing; every message quotes a shortened value. Torch-free, like config.py.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from dataclasses import fields
from typing import Any

# Parsing limits, checked BEFORE a link or file is parsed, so a hostile one costs the server almost nothing: a full
# config (12 CNN blocks spelled out) is ~3 KB of JSON and nests 5 deep ({model: {cnn: {blocks: [{...}]}}}); the
# validation bounds of every list (12 blocks, 10 hidden layers, 7 features) are far below MAX_LIST_ITEMS.
MAX_CONFIG_CHARS = 32_000
MAX_NESTING = 8
MAX_LIST_ITEMS = 32
MAX_MAGNITUDE = 2**63  # larger whole numbers are refused while parsing (the widest bound is 2**31 - 1)
MAX_TEXT_CHARS = 120  # a name or an upload reference (64 hex digits + '.csv')
MAX_ERRORS = 8  # a ConfigError lists this many problems, then how many more there are


def shown(value: Any, limit: int = 40) -> str:
    """A value quoted in a message, cut to `limit` characters (a message never repeats a 30 KB input)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def plain_number(value: float) -> str:
    """A bound or value as a person writes it: 2,147,483,647 (not 2.14748e+09), 30 (not 30.00), 0.00001 (not
    1e-05) -- the one wording of numbers in tooltips and messages about a field's range."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.10f}".rstrip("0")


def too_long(what: str, size: int, limit: int = MAX_CONFIG_CHARS) -> str:
    """The sentence for a text refused by its size alone (the same words for links, configs and run files)."""
    return f"the {what} has {size:,} characters; at most {limit:,} are read"


def _nesting(text: str) -> int:
    """How deep the brackets of a JSON text nest (strings skipped): checked before json.loads, which would recurse
    once per level and fail with a RecursionError on thousands of '['."""
    depth = deepest = 0
    for bracket in re.sub(r'"(?:[^"\\]|\\.)*"', "", text):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_NESTING:
                break
        elif bracket in "]}":
            depth -= 1
    return deepest


def parse_json(text: str, what: str = "config", max_chars: int = MAX_CONFIG_CHARS) -> Any:
    """json.loads with the size and nesting of a config checked first; ValueError with a sentence otherwise."""
    if len(text) > max_chars:
        raise ValueError(too_long(what, len(text), max_chars))
    if _nesting(text) > MAX_NESTING:
        raise ValueError(f"the {what} nests brackets more than {MAX_NESTING} deep (a config needs at most 5)")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    except (ValueError, RecursionError) as e:  # e.g. an integer of more than 4,300 digits
        raise ValueError(f"not a usable JSON value ({str(e)[:80]})") from None


# ---------- plain-data conversion ----------

def _to_plain(obj: Any) -> Any:
    """Dataclasses -> dicts and tuples -> lists, the JSON shape of a config."""
    if dataclasses.is_dataclass(obj):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, tuple):
        return [_to_plain(v) for v in obj]
    return obj


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _from_plain(tp: Any, value: Any, path: str, errors: list[str]) -> Any:
    """Build a value of type `tp`, appending a message per problem instead of stopping at the first."""
    origin = typing.get_origin(tp)
    where = path or "config"
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _from_plain(args[0], value, path, errors)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            errors.append(f"{where} must be an object with fields, got {type(value).__name__}")
            return tp()
        hints = typing.get_type_hints(tp)
        unknown = sorted(map(str, set(value) - set(hints)))
        for k in unknown:
            errors.append(f"unknown setting {shown((path + '.' if path else '') + str(k))}; known: "
                          f"{', '.join(hints)}")
        kwargs = {k: _from_plain(hints[k], value[k], f"{path}.{k}" if path else k, errors)
                  for k in hints if k in value}
        return tp(**kwargs)
    if origin is tuple:
        elem = typing.get_args(tp)[0]
        if not isinstance(value, (list, tuple)):
            errors.append(f"{where} must be a list, got {shown(value)}")
            return ()
        if len(value) > MAX_LIST_ITEMS:  # refused before any entry is read
            errors.append(f"{where} has {len(value):,} entries; at most {MAX_LIST_ITEMS} are read")
            return ()
        return tuple(_from_plain(elem, v, f"{where}[{i}]", errors) for i, v in enumerate(value))
    if tp is bool:
        if not isinstance(value, bool):
            errors.append(f"{where} must be true or false, got {shown(value)}")
            return False
        return value
    if (tp is int or (tp is float and isinstance(value, int))) and isinstance(value, (int, float)) \
            and not isinstance(value, bool) and abs(value) > MAX_MAGNITUDE:  # (inf included: no int holds it)
        errors.append(f"{where} is larger than any setting allows ({MAX_MAGNITUDE:.0e})")
        return tp(0)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            errors.append(f"{where} must be a whole number, got {shown(value)}")
            return 0
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(f"{where} must be a number, got {shown(value)}")
            return 0.0
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            errors.append(f"{where} must be text, got {shown(value)}")
            return ""
        if len(value) > MAX_TEXT_CHARS:  # names and upload references are short; messages quote the text
            errors.append(f"{where} has {len(value):,} characters; a setting's text has at most {MAX_TEXT_CHARS}")
            return ""
        return value
    raise TypeError(f"unsupported field type {_type_name(tp)} at {where}")


# ---------- query strings ----------

def _query_text(v: Any) -> str:
    """One field as link text: lists comma-separated, nested specs as compact JSON, booleans as 1/0."""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, dict) or (isinstance(v, list) and v and isinstance(v[0], dict)) or v is None:
        return json.dumps(v, separators=(",", ":"))
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    return repr(v) if isinstance(v, float) else str(v)


def _parse_text(text: str, tp: Any) -> Any:
    """One link parameter's text as plain data of the field's type; ValueError with a sentence otherwise."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType) or dataclasses.is_dataclass(tp):
        return parse_json(text, "value")
    if origin is tuple:
        elem = typing.get_args(tp)[0]
        items = text.split(",", MAX_LIST_ITEMS) if text else []
        if len(items) > MAX_LIST_ITEMS:  # refused before any entry is read
            raise ValueError(f"more than {MAX_LIST_ITEMS} entries")
        return [_parse_text(t, elem) for t in items]
    if tp is bool:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"expected 1 or 0, got {shown(text)}")
    if tp is int:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected a whole number, got {shown(text)}") from None
    if tp is float:
        try:
            val = float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {shown(text)}") from None
        if val != val or val in (float("inf"), float("-inf")):
            raise ValueError(f"expected a finite number, got {shown(text)}")
        return val
    return text


parse_text = _parse_text  # public name: config.py and ui.links parse one link parameter at a time
