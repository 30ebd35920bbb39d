"""Make reference implementations unusable in the process that runs learner code.

A test module lists in ``BLOCKED`` the course functions that would answer its exercises
(``course_utils.powerlaw.fit_power_law``...). The child process that runs a learner's
notebook (see :mod:`.child`) calls :func:`block` with that list before any learner code
runs. The child is disposable, so blocking does not guard calls, it removes the answer:

* the **code object** of every blocked function, method and property getter is replaced
  by one that raises ``ImportError("<name> is not available while grading: write it
  yourself")``. The function object stays where it is, so every way of reaching it now
  raises: an alias in another module, a reference kept in a dict or a closure,
  ``__wrapped__``, a bound method, ``gc.get_objects()``, and every course function that
  calls it internally (a private helper, an unblocked wrapper);
* **re-executing** a blocked module through the import system (``importlib.reload``,
  deleting it from ``sys.modules`` and importing it again, ``importlib.util`` loaders,
  ``runpy.run_module``) builds its functions from code whose blocked parts are replaced
  the same way, because the source loaders' ``get_code`` is wrapped.

What blocking cannot stop: a learner who reads a library file and compiles its text
(``exec(open(path).read())``, copying the function into the notebook). That is copying
public code, as visible in the submission as a pasted solution; the sandbox's read-only
``course_utils`` has to stay readable for the notebook's own imports.

Entry forms in ``BLOCKED``:

``"package.module.function"``, ``"package.module.Class.method"``, ``"package.module.Class.prop"``
    blocked (a property's getter, setter and deleter; static and class methods too).
``"package.module.Class"``
    every function, method and property defined in the class body.
``"package.module.function(arg, key=value)"``
    blocked, except that exactly this call (literal arguments, defaults filled in)
    still answers, with the value computed before blocking: for a course function that
    a notebook's own setup cell calls and that reaches blocked code.

Names that do not resolve are ignored (a test module may list a name a course version
lacks). C functions, which have no code object, are replaced by a raising function in
their module and in every ``course_utils`` module that imported them.
"""

from __future__ import annotations

import ast
import copy
import functools
import importlib
import importlib.machinery
import inspect
import os
import sys
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

MESSAGE = "{name} is not available while grading: write it yourself"

#: blocked code, by source file: {realpath: {(co_name, co_firstlineno): message}}
_BLOCKED_CODE: dict[str, dict[tuple[str, int], str]] = {}
_LOADERS_WRAPPED = False


# ------------------------------------------------------------------ resolving


def resolve(dotted: str) -> tuple[Any, str, Any]:
    """``(owner, attribute name, raw value)`` for ``package.module.Class.attr``.

    Imports the longest importable prefix, then follows attributes (which also triggers a
    package's lazy imports). The raw value is taken from the owner's ``__dict__`` when it
    is there, so a property or staticmethod comes back as itself. Raises ImportError or
    AttributeError when it does not resolve.
    """
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:split]))
            break
        except ImportError:
            continue
    else:
        raise ImportError(f"no module in {dotted}")
    for attr in parts[split:-1]:
        owner = getattr(owner, attr)
    name = parts[-1]
    return owner, name, (vars(owner)[name] if name in vars(owner) else getattr(owner, name))


def split_entry(entry: str) -> tuple[str, tuple | None, dict | None]:
    """``"m.f(1, k=2)"`` -> ``("m.f", (1,), {"k": 2})``; ``"m.f"`` -> ``("m.f", None, None)``.

    Raises ValueError for a call whose arguments are not literals.
    """
    if "(" not in entry:
        return entry.strip(), None, None
    call = ast.parse(entry.strip(), mode="eval").body
    if not isinstance(call, ast.Call) or any(k.arg is None for k in call.keywords):
        raise ValueError(f"not a call with literal arguments: {entry!r}")
    args = tuple(ast.literal_eval(arg) for arg in call.args)
    kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    return ast.unparse(call.func), args, kwargs


def preload_names(names: Iterable[str]) -> None:
    """Import what the ``BLOCKED`` entries ``names`` need (never patching anything), ignoring failures."""
    for entry in names:
        try:
            dotted = split_entry(entry)[0]
        except (ValueError, SyntaxError):
            continue
        try:
            importlib.import_module(dotted)
            continue
        except Exception:
            pass
        try:
            resolve(dotted)
        except Exception:
            continue


# ------------------------------------------------------------------ stubs


def stub_code(original: types.CodeType, message: str) -> types.CodeType:
    """A code object that raises ``ImportError(message)``, fit to replace ``original``.

    It has the same free variables (so it can take the place of a closure's code), name,
    qualified name, file and first line (so the loader hook and tracebacks still know it).
    """
    free = original.co_freevars
    name = "blocked"
    lines = ["def outer():"]
    if free:
        lines.append(f"    {' = '.join(free)} = None")
    lines.append(f"    def {name}(*args, **kwargs):")
    if free:
        lines.append(f"        {', '.join(free)}")
    lines.append(f"        raise ImportError({message!r})")
    lines.append(f"    return {name}")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), original.co_filename, "exec"), namespace)
    code = namespace["outer"]().__code__
    changes: dict[str, Any] = {"co_name": original.co_name, "co_firstlineno": original.co_firstlineno}
    if hasattr(original, "co_qualname"):
        changes["co_qualname"] = original.co_qualname
    return code.replace(**changes)


def _functions_of(raw: Any) -> list[types.FunctionType]:
    """The Python functions whose code computes ``raw``: through wrappers, descriptors, classes."""
    found: list[types.FunctionType] = []
    seen: set[int] = set()

    def add(value: Any) -> None:
        while value is not None and id(value) not in seen:
            seen.add(id(value))
            if isinstance(value, (staticmethod, classmethod, types.MethodType)):
                value = value.__func__
                continue
            if isinstance(value, property):
                for part in (value.fget, value.fset, value.fdel):
                    add(part)
                return
            if isinstance(value, functools.partial):
                value = value.func
                continue
            if isinstance(value, types.FunctionType):
                found.append(value)
            value = getattr(value, "__wrapped__", None)

    if isinstance(raw, type):
        for member in vars(raw).values():
            if isinstance(member, (types.FunctionType, staticmethod, classmethod, property)):
                add(member)
    else:
        add(raw)
    return found


def _register(function: types.FunctionType, message: str) -> None:
    code = function.__code__
    path = os.path.realpath(code.co_filename)
    _BLOCKED_CODE.setdefault(path, {})[(code.co_name, code.co_firstlineno)] = message


def _kill(function: types.FunctionType, message: str) -> None:
    """Replace ``function``'s code by one raising ImportError(message); forget its caches."""
    if getattr(function, "__course_blocked__", False):
        return
    _register(function, message)
    function.__code__ = stub_code(function.__code__, message)
    function.__course_blocked__ = True


def _replace_references(owner: Any, name: str, raw: Any, replacement: Any) -> None:
    """``owner.name = replacement``, and the same in every course module that holds ``raw``."""
    setattr(owner, name, replacement)
    for module_name, module in list(sys.modules.items()):
        if module is None or module_name.split(".")[0] != "course_utils":
            continue
        for key, value in list(vars(module).items()):
            if value is raw:
                setattr(module, key, replacement)


def _same(a: Any, b: Any) -> bool:
    """Equal as literals (never through a learner's ``__eq__``), or the very same object."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if type(a) in (int, float, str, bytes, bool, complex):
        return a == b
    if type(a) in (tuple, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return False


def _kept_call(signature: inspect.Signature, arguments: dict, value: Any, message: str) -> Callable:
    """A function that answers one call (``arguments``, defaults filled in) with ``value``."""
    def kept(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            raise ImportError(message) from None
        bound.apply_defaults()
        if _same(dict(bound.arguments), arguments):
            return copy.deepcopy(value)
        raise ImportError(message)

    return kept


# ------------------------------------------------------------------ the loader hook


def _strip(code: types.CodeType, blocked: dict[tuple[str, int], str]) -> types.CodeType:
    """``code`` with every nested code object listed in ``blocked`` replaced by a stub."""
    consts, changed = [], False
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            message = blocked.get((const.co_name, const.co_firstlineno))
            new = stub_code(const, message) if message else _strip(const, blocked)
            changed = changed or new is not const
            consts.append(new)
        else:
            consts.append(const)
    return code.replace(co_consts=tuple(consts)) if changed else code


def _blocking_get_code(original: Callable) -> Callable:
    def get_code(self: Any, fullname: str) -> Any:
        code = original(self, fullname)
        if code is not None:
            blocked = _BLOCKED_CODE.get(os.path.realpath(code.co_filename))
            if blocked:
                code = _strip(code, blocked)
        return code

    get_code.__course_blocking__ = True
    return get_code


def _wrap_loaders() -> None:
    """Make the import system's source and bytecode loaders strip blocked code (once)."""
    global _LOADERS_WRAPPED
    if _LOADERS_WRAPPED:
        return
    from importlib import _bootstrap_external  # the loaders the import system really uses

    for cls in (_bootstrap_external.SourceLoader, importlib.machinery.SourcelessFileLoader):
        current = vars(cls).get("get_code")
        if current is not None and not getattr(current, "__course_blocking__", False):
            cls.get_code = _blocking_get_code(current)
    _LOADERS_WRAPPED = True


# ------------------------------------------------------------------ block


@dataclass
class _Plan:
    entry: str
    owner: Any
    name: str
    raw: Any
    message: str
    kept: Callable | None = None
    functions: list = field(default_factory=list)


def _plan(entry: str) -> _Plan | None:
    dotted, args, kwargs = split_entry(entry)
    owner, name, raw = resolve(dotted)
    message = MESSAGE.format(name=dotted)
    plan = _Plan(entry, owner, name, raw, message, functions=_functions_of(raw))
    if args is not None and callable(raw) and isinstance(owner, types.ModuleType):
        signature = inspect.signature(raw)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        try:  # computed now, while nothing is blocked yet
            value = raw(*args, **kwargs)
        except Exception as exc:  # the setup cell will see the same error
            value_error = exc

            def value_failed(*_args: Any, **_kwargs: Any) -> Any:
                raise value_error

            plan.kept = value_failed
        else:
            plan.kept = _kept_call(signature, dict(bound.arguments), value, message)
    return plan


def block(names: Iterable[str]) -> None:
    """Make each ``BLOCKED`` entry (see the module docstring) unusable in this process.

    Call it in the disposable process that will run learner code, before any learner
    code runs: it changes the functions themselves, for good. Kept calls are computed
    first, while every reference implementation still works.
    """
    plans = []
    for entry in names:
        try:
            plan = _plan(entry)
        except Exception:  # does not resolve: nothing to block
            continue
        if plan is not None:
            plans.append(plan)
    for plan in plans:
        for function in plan.functions:
            _kill(function, plan.message)
        if plan.kept is not None:
            _replace_references(plan.owner, plan.name, plan.raw, plan.kept)
        elif not plan.functions and callable(plan.raw) and not getattr(plan.raw, "__course_blocked__", False):
            _replace_references(plan.owner, plan.name, plan.raw, _raiser(plan.message))
        cache_clear = getattr(plan.raw, "cache_clear", None)
        if callable(cache_clear):
            try:
                cache_clear()
            except Exception:
                pass
    if _BLOCKED_CODE:
        _wrap_loaders()


def _raiser(message: str) -> Callable:
    def blocked(*args: Any, **kwargs: Any) -> Any:
        raise ImportError(message)

    blocked.__course_blocked__ = True
    return blocked
