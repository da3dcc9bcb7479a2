"""Reading scenario documents (YAML files or built-in names) into validated :class:`Scenario` objects.

Every failure raises :class:`~orbitcloud.errors.ScenarioError` with one line of the form
``FILE:LINE: KEY.PATH: what is wrong (got VALUE)`` so that the CLI can print it as it is.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from orbitcloud.errors import ScenarioError
from orbitcloud.scenario.schema import KINDS, REFERENCE_KINDS, Scenario

_BUILTIN_PACKAGE = "orbitcloud.scenario"
_BUILTIN_DIR = "builtin"
#: The largest scenario file read [bytes].
MAX_SCENARIO_BYTES = 16 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario and where it came from.

    Attributes
    ----------
    scenario : Scenario
    label : str
        The file path or ``builtin:NAME``, used in messages.
    base_dir : Path or None
        Directory that relative paths in the scenario (TLE files) are resolved against.
    text : str
        The document as read, kept so that results can store an exact copy.
    """

    scenario: Scenario
    label: str
    base_dir: Path | None
    text: str

    def resolve(self, path: str) -> Path:
        """Resolve a path written in the scenario relative to the scenario file."""
        candidate = Path(path).expanduser()
        if candidate.is_absolute() or self.base_dir is None:
            return candidate
        return (self.base_dir / candidate).resolve()


def builtin_names() -> list[str]:
    """Names of the built-in scenarios, sorted."""
    folder = resources.files(_BUILTIN_PACKAGE).joinpath(_BUILTIN_DIR)
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def builtin_text(name: str) -> str:
    """The YAML text of a built-in scenario."""
    if name not in builtin_names():
        raise ScenarioError(
            f"unknown scenario {name!r}: not a file and not a built-in; built-ins are "
            + ", ".join(builtin_names())
        )
    return resources.files(_BUILTIN_PACKAGE).joinpath(_BUILTIN_DIR, f"{name}.yaml").read_text("utf-8")


def load_scenario(source: str | Path) -> LoadedScenario:
    """Load a scenario from a YAML file path or a built-in name."""
    path = Path(source)
    looks_like_path = path.suffix.lower() in (".yaml", ".yml") or path.exists() or "/" in str(source)
    if looks_like_path:
        if not path.exists():
            raise ScenarioError(f"{source}: no such scenario file")
        if path.is_dir():
            raise ScenarioError(f"{source}: is a directory, expected a scenario YAML file")
        size = path.stat().st_size
        if size > MAX_SCENARIO_BYTES:
            raise ScenarioError(f"{source}: {size:,} bytes is too large for a scenario file (limit {MAX_SCENARIO_BYTES:,})")
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"{source}: cannot read: {exc}") from None
        return parse_scenario(text, label=str(source), base_dir=path.resolve().parent)
    name = str(source)
    return parse_scenario(builtin_text(name), label=f"builtin:{name}", base_dir=None)


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses duplicate keys and wraps value errors with their position."""

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid value {node.value!r} ({exc})", node.start_mark
            ) from None

    def construct_mapping(self, node, deep=False):
        seen = set()
        for knode, _ in node.value:
            if isinstance(knode, yaml.ScalarNode):
                if knode.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {knode.value!r}", knode.start_mark
                    )
                seen.add(knode.value)
        return super().construct_mapping(node, deep=deep)


def parse_scenario(text: str, label: str = "<scenario>", base_dir: Path | None = None) -> LoadedScenario:
    """Parse and validate scenario YAML text; errors name ``label``, the line and the key path."""
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        context = getattr(exc, "context_mark", None)
        if mark is not None and context is not None and mark.line >= len(text.splitlines()):
            mark = context  # "unexpected end of stream": name where the open construct began
        where = f"{label}:{mark.line + 1}" if mark is not None else label
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(f"{where}: YAML syntax error: {problem}") from None
    except RecursionError:
        raise ScenarioError(f"{label}: YAML nesting too deep") from None
    if not isinstance(document, dict):
        got = "an empty document" if document is None else type(document).__name__
        raise ScenarioError(f"{label}: expected a mapping of scenario keys (name, epoch, ...), got {got}")
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as exc:
        raise ScenarioError(_describe(exc, document, root, label)) from None
    except (TypeError, OverflowError) as exc:  # odd YAML values pydantic does not wrap
        raise ScenarioError(f"{label}: invalid value: {exc}") from None
    return LoadedScenario(scenario=scenario, label=label, base_dir=base_dir, text=text)


# --------------------------------------------------------------------------------------------------
# Error messages
# --------------------------------------------------------------------------------------------------


def key_path(loc: tuple[Any, ...], document: Any) -> tuple[list[Any], str]:
    """Drop pydantic's union tags from ``loc`` and format it as ``constellation[0].planes``."""
    keys: list[Any] = []
    node = document
    for item in loc:
        if isinstance(item, str) and isinstance(node, dict) and item not in node:
            # a discriminated-union tag (``walker``) or a function-validator name: not a key
            if node.get("kind") == item or item.startswith("function-"):
                continue
        keys.append(item)
        if isinstance(node, dict) and item in node:
            node = node[item]
        elif isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            node = node[item]
        else:
            node = None
    text = ""
    for item in keys:
        name = str(item) if str(item).isprintable() else repr(item)  # keep the message one line
        text += f"[{item}]" if isinstance(item, int) else (f".{name}" if text else name)
    return keys, text


def _line(root: yaml.Node | None, keys: list[Any]) -> int | None:
    node = root
    line = None if node is None else node.start_mark.line + 1
    for item in keys:
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for knode, vnode in node.value:
                if knode.value == item:
                    line = knode.start_mark.line + 1
                    nxt = vnode
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(item, int) and item < len(node.value):
            nxt = node.value[item]
            line = nxt.start_mark.line + 1
        if nxt is None:
            break
        node = nxt
    return line


def _model_at(keys: list[Any], document: Any) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at ``keys`` (for key suggestions)."""
    model: type[BaseModel] | None = Scenario
    node = document
    in_constellation = False
    for item in keys:
        if isinstance(item, int):
            node = node[item] if isinstance(node, list) and item < len(node) else None
            if in_constellation:
                kind = node.get("kind") if isinstance(node, dict) else None
                model = KINDS.get(kind) if isinstance(kind, str) else None
                in_constellation = False
            continue
        if model is None or item not in model.model_fields:
            return None
        node = node.get(item) if isinstance(node, dict) else None
        if item == "constellation":
            in_constellation, model = True, None
        elif item == "reference":
            kind = node.get("kind") if isinstance(node, dict) else None
            model = REFERENCE_KINDS.get(kind) if isinstance(kind, str) else None
        else:
            model = _model_of(model.model_fields[item].annotation)
    return model


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model in an annotation (``Hardware | None`` gives ``Hardware``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _describe(exc: ValidationError, document: dict, root: yaml.Node | None, label: str) -> str:
    errors = exc.errors(include_url=False)
    # Prefer the most specific error: a union reports one per member; take the deepest location.
    first = max(errors, key=lambda e: len(e["loc"]))
    if any(e["type"] == "extra_forbidden" for e in errors):
        first = next(e for e in errors if e["type"] == "extra_forbidden")
    keys, path = key_path(tuple(first["loc"]), document)
    line = _line(root, keys)
    where = f"{label}:{line}" if line is not None else label
    kind = first["type"]
    value = first.get("input")
    if kind == "extra_forbidden":
        bad = keys[-1] if keys else "?"
        parent = _model_at(keys[:-1], document)
        valid = sorted(parent.model_fields) if parent is not None else []
        close = difflib.get_close_matches(str(bad), valid, n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        listing = f" (valid keys: {', '.join(valid)})" if valid else ""
        return f"{where}: {path}: unknown key{hint}{listing}"
    if kind == "missing":
        return f"{where}: {path}: required key is missing"
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        tags = sorted(REFERENCE_KINDS if "reference" in keys else KINDS)
        return f"{where}: {path}: kind {value.get('kind') if isinstance(value, dict) else value!r} is not one of {', '.join(tags)}"
    message = first["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    shown = "" if isinstance(value, (dict, list)) else f" (got {value!r})"
    return f"{where}: {path or 'document'}: {message}{shown}"
