"""The permissions table names exactly the boto3 calls the AWS adapters make: a call added to
an adapter and not to the table (or left in the table after the adapter stopped making it)
fails here, before a deployment finds it refused."""

from __future__ import annotations

import ast
import importlib.util
from functools import cache
from pathlib import Path

import boto3
import pytest

from carehub.adapters.aws.permissions import ADAPTERS, AdapterPermissions


@cache
def client_methods(service: str) -> frozenset[str]:
    """The operations a boto3 client of `service` has, by their Python names, and its
    presigning methods (a presigned request is made with the signer's permissions)."""
    client = boto3.session.Session().client(service, region_name="us-east-1")
    presigning = {"generate_presigned_url", "generate_presigned_post"} & set(dir(client))
    return frozenset(client.meta.method_to_api_mapping) | presigning


def names_in(module: str) -> set[str]:
    """Attribute names and string constants of a module: its calls (`c.get_item(...)`) and
    the method names it passes around (`getattr(c, "put_item")`, a paginator's name)."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, module
    tree = ast.parse(Path(spec.origin).read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)
    return names


MODULES = sorted({module for adapter in ADAPTERS for module in adapter.modules})


def sharing(module: str) -> list[AdapterPermissions]:
    return [adapter for adapter in ADAPTERS if module in adapter.modules]


@pytest.mark.parametrize("module", MODULES)
def test_every_call_of_an_adapter_module_is_in_the_table(module: str) -> None:
    adapters = sharing(module)
    services = {service for adapter in adapters for service in adapter.services}
    made = names_in(module) & {m for s in services for m in client_methods(s)}
    listed = {call for adapter in adapters for call in adapter.calls}
    assert made, f"found no boto3 call in {module}"
    assert made <= listed, f"{module} calls {sorted(made - listed)}, missing from the table"


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_every_call_in_the_table_is_made_by_its_adapter(adapter: AdapterPermissions) -> None:
    made = set().union(*(names_in(module) for module in adapter.modules))
    assert set(adapter.calls) <= made, f"no longer called: {sorted(set(adapter.calls) - made)}"
    methods = {m for service in adapter.services for m in client_methods(service)}
    assert set(adapter.calls) <= methods, "every listed call is a boto3 operation"


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_actions_are_named_exactly(adapter: AdapterPermissions) -> None:
    for action in adapter.actions:
        service, _, name = action.partition(":")
        assert service and name and "*" not in action, action
