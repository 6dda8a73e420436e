"""Every public name of the package is documented and typed: a docstring on each class, function,
method and property (help() and IDEs show them), and a stub in _occhat.pyi for each class of the
extension (mypy --strict reads it; scripts/test.sh runs mypy on the examples)."""

import ast
import inspect
import pathlib

import occhat
import occhat.aio
import occhat.testing
from occhat import _occhat

MODULES = (occhat, occhat.aio, occhat.testing)
# RawClient is the SDK's mirror (plain int ids, no sessions): each method is occhat.Client's call
# of the same meaning, documented there; the type aliases (Id) cannot carry a docstring.
UNDOCUMENTED = {"occhat.Id", "occhat.RawClient"}


def documented(obj):
    doc = (getattr(obj, "__doc__", None) or "").strip()
    if doc.startswith(getattr(obj, "__name__", "\0") + "("):  # pybind11's signature line only
        doc = doc.split("\n", 1)[1].strip() if "\n" in doc else ""
    return bool(doc)


def test_every_public_name_has_a_docstring():
    missing = []
    for module in MODULES:
        assert documented(module), module.__name__
        for name in module.__all__:
            obj = getattr(module, name)
            qualified = f"{module.__name__}.{name}"
            if inspect.ismodule(obj) or qualified in UNDOCUMENTED:
                continue
            if not documented(obj):
                missing.append(qualified)
            if inspect.isclass(obj):
                for attr, value in vars(obj).items():
                    if attr.startswith("_") or not (callable(value) or isinstance(value, property)):
                        continue
                    if not documented(value if not isinstance(value, (staticmethod, classmethod)) else value.__func__):
                        missing.append(f"{qualified}.{attr}")
    assert missing == []


def test_every_class_of_the_extension_has_a_stub():
    stub = pathlib.Path(_occhat.__file__).with_name("_occhat.pyi")
    stubbed = {node.name for node in ast.parse(stub.read_text()).body if isinstance(node, ast.ClassDef)}
    classes = {name for name, value in vars(_occhat).items() if inspect.isclass(value) and not name.startswith("_")}
    assert classes - stubbed == set()
