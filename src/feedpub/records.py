"""Frozen record classes, as `@dataclass(frozen=True)` makes them, made cheaply.

dataclasses imports inspect (with ast, dis and tokenize) and writes the source of
six methods per class, then exec()s it: ~14 ms for the import and ~0.7 ms a class
here, ~30 ms of every `feedpub build` before it does anything. `@record` builds
the same methods from closures: __init__ (defaults and default factories),
__repr__ (the dataclass format, so repr-based keys do not change), __eq__ and
__hash__ over the compared fields, and no attribute assignment after __init__.
Instances pickle as dataclass instances do (class and __dict__). `replace` and
`asdict` are dataclasses' namesakes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")
_MISSING: Any = object()


class FrozenInstanceError(AttributeError):
    """An attempt to change a record."""


class _Field:
    def __init__(self, default: Any, default_factory: Callable[[], Any] | None,
                 compare: bool) -> None:
        self.default, self.default_factory, self.compare = default, default_factory, compare


def field(*, default: Any = _MISSING, default_factory: Callable[[], Any] | None = None,
          compare: bool = True) -> Any:
    """A field's default (a value or a factory), and whether __eq__/__hash__ see it."""
    return _Field(default, default_factory, compare)


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[T]) -> type[T]:
    """Make `cls` a frozen record of its annotated fields, in order."""
    names = tuple(cls.__dict__.get("__annotations__", {}))
    defaults: dict[str, Any] = {}
    factories: dict[str, Callable[[], Any]] = {}
    compared = []
    for name in names:
        value = cls.__dict__.get(name, _MISSING)
        if isinstance(value, _Field):
            if value.default_factory is not None:
                factories[name] = value.default_factory
            elif value.default is not _MISSING:
                defaults[name] = value.default
            if value.compare:
                compared.append(name)
            delattr(cls, name)
        else:
            if value is not _MISSING:
                defaults[name] = value
            compared.append(name)
    qualname = cls.__qualname__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(names):
            raise TypeError(f"{qualname}() takes {len(names)} arguments, got {len(args)}")
        values = dict(zip(names, args, strict=False))
        for key, value in kwargs.items():
            if key not in names or key in values:
                raise TypeError(f"{qualname}() got an unexpected or repeated argument {key!r}")
            values[key] = value
        for name in names:
            if name not in values:
                if name in factories:
                    values[name] = factories[name]()
                elif name in defaults:
                    values[name] = defaults[name]
                else:
                    raise TypeError(f"{qualname}() is missing the argument {name!r}")
        self.__dict__.update((name, values[name]) for name in names)

    def __repr__(self: Any) -> str:
        inside = ", ".join(f"{name}={self.__dict__[name]!r}" for name in names)
        return f"{self.__class__.__qualname__}({inside})"

    def key(self: Any) -> tuple[Any, ...]:
        return tuple(self.__dict__[name] for name in compared)

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return key(self) == key(other)

    def __hash__(self: Any) -> int:
        return hash(key(self))

    def __setattr__(self: Any, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self: Any, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    for method in (__init__, __repr__, __eq__, __hash__, __setattr__, __delattr__):
        method.__qualname__ = f"{qualname}.{method.__name__}"
        setattr(cls, method.__name__, method)
    cls.__match_args__ = names  # type: ignore[attr-defined,misc]
    cls.__record_fields__ = names  # type: ignore[attr-defined]
    return cls


def replace(obj: T, **changes: Any) -> T:
    """A copy of the record `obj` with some fields changed."""
    names = obj.__class__.__record_fields__  # type: ignore[attr-defined]
    unknown = set(changes) - set(names)
    if unknown:
        raise TypeError(f"{obj.__class__.__qualname__} has no field {sorted(unknown)[0]!r}")
    copy = object.__new__(obj.__class__)
    copy.__dict__.update((name, changes.get(name, obj.__dict__[name])) for name in names)
    return copy


def asdict(obj: Any) -> Any:
    """Records to dicts, all the way down (lists, tuples and dicts followed)."""
    names = getattr(obj.__class__, "__record_fields__", None)
    if names is not None:
        return {name: asdict(obj.__dict__[name]) for name in names}
    if isinstance(obj, (list, tuple)):
        return type(obj)(asdict(value) for value in obj)
    if isinstance(obj, dict):
        return {asdict(key): asdict(value) for key, value in obj.items()}
    return obj
