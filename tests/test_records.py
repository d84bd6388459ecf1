"""@record behaves as @dataclass(frozen=True) where feedpub relies on it."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from feedpub.records import FrozenInstanceError, asdict, field, record, replace


@record
class Inner:
    name: str
    size: int = 3


@record
class Outer:
    title: str
    inner: Inner
    tags: tuple[Inner, ...] = ()
    extra: dict[str, int] = field(default_factory=dict, compare=False)


@dataclasses.dataclass(frozen=True)
class InnerDC:
    name: str
    size: int = 3


def test_construction_defaults_and_factories() -> None:
    a = Outer("t", Inner("x"))
    assert (a.title, a.inner.size, a.tags, a.extra) == ("t", 3, (), {})
    assert Outer("t", Inner("x")).extra is not a.extra  # a new dict each time
    assert Outer(title="t", inner=Inner(name="x", size=4)).inner.size == 4
    for bad in (lambda: Inner(), lambda: Inner("x", 1, 2), lambda: Inner("x", nope=1),
                lambda: Inner("x", name="y")):
        with pytest.raises(TypeError):
            bad()


def test_equality_hash_and_compare_false() -> None:
    assert Inner("x") == Inner("x", 3) and Inner("x") != Inner("y")
    assert Outer("t", Inner("x"), extra={"a": 1}) == Outer("t", Inner("x"))
    assert hash(Outer("t", Inner("x"), extra={"a": 1})) == hash(Outer("t", Inner("x")))
    assert len({Inner("x"), Inner("x"), Inner("y")}) == 2
    assert Inner("x") != ("x", 3)  # not a tuple
    assert Inner("x") != InnerDC("x")


def test_frozen_replace_and_repr_as_dataclasses() -> None:
    a = Inner("x")
    with pytest.raises(FrozenInstanceError):
        a.name = "y"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del a.name  # type: ignore[misc]
    assert replace(a, size=9) == Inner("x", 9) and a.size == 3
    with pytest.raises(TypeError):
        replace(a, nope=1)
    # The repr is the dataclass one (keys hash reprs): only the class name differs.
    assert repr(a).replace("Inner(", "InnerDC(") == repr(InnerDC("x"))


def test_asdict_and_pickle() -> None:
    a = Outer("t", Inner("x"), (Inner("y", 1),), {"k": 2})
    assert asdict(a) == {"title": "t", "inner": {"name": "x", "size": 3},
                         "tags": ({"name": "y", "size": 1},), "extra": {"k": 2}}
    again = pickle.loads(pickle.dumps(a, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == a and again.extra == {"k": 2}
