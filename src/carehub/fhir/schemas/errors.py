"""A FHIR input that pydantic refused, as carehub's own kind of error: `Invalid`, with a
field error per problem, each naming the element's path (`name[0].given[1]`) and never
the value that was sent."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from carehub.kernel.errors import FieldError, Invalid

_MESSAGES = {
    "missing": "is required",
    "model_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
    "tuple_type": "must be a JSON array",
    "list_type": "must be a JSON array",
    "string_type": "must be a string",
}


def read_model(model: type[BaseModel], data: Any, what: str) -> Any:
    """`data` validated as `model`; Invalid naming every element in error otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_of(exc, what) from None


def invalid_of(exc: ValidationError, what: str) -> Invalid:
    """The errors pydantic found in a `what` (a resource type), as one Invalid."""
    errors = [FieldError(_path(e["loc"]), _message(e, what)) for e in exc.errors()]
    names = ", ".join(sorted({e.field for e in errors}))
    return Invalid(f"The {what} is not valid: {names}", errors=errors)


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not _is_type_tag(part):
            path += f".{part}" if path else part
    return path or "resource"


def _is_type_tag(part: str) -> bool:
    # Union members and validators show up in pydantic's location as their type's name:
    # "Coding", "str", "constrained-str", "function-after[...]", "literal['a']".
    return part[:1].isupper() or part in ("str", "int", "float") or "[" in part or "-" in part


def _message(error: Any, what: str) -> str:
    kind = error.get("type")
    if kind == "extra_forbidden":
        owner = what if len(error["loc"]) == 1 else "its type"
        return f"is not an element of {owner} in FHIR R4"
    return _MESSAGES.get(kind, str(error.get("msg", "is not valid")))
