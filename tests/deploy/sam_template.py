"""deploy/aws/template.yaml as CloudFormation receives it: `Fn::ForEach` expanded for a
sample country list (cfn-lint's AWS::LanguageExtensions expansion), then translated by SAM,
and its intrinsic functions resolved with sample values where a test needs a string."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import boto3
from cfnlint.decode import cfn_yaml
from cfnlint.template import Template
from cfnlint.template.transforms._language_extensions import language_extension
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

ROOT = Path(__file__).parents[2]
TEMPLATE = ROOT / "deploy" / "aws" / "template.yaml"
REGION = "eu-west-1"
ACCOUNT = "123456789012"
COUNTRIES = ["PE", "CL", "AR"]
# Where `sam package` puts the code `make lambda-package` built.
PACKAGE = "s3://packages/carehub.zip"

_SUB = re.compile(r"\$\{([A-Za-z0-9:._-]+)\}")


@cache
def source() -> dict[str, Any]:
    """The template as written (YAML tags turned into their long form)."""
    return json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE))))


@cache
def translated() -> dict[str, Any]:
    """The template after both transforms, with COUNTRIES as the `Countries` parameter."""
    raw = cfn_yaml.load(str(TEMPLATE))
    raw["Parameters"]["Countries"]["Default"] = ",".join(COUNTRIES)
    matches, expanded = language_extension(Template(str(TEMPLATE), raw, [REGION]))
    assert not matches, matches
    template = json.loads(json.dumps(expanded))
    assert template["Transform"] == ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"]
    template["Transform"] = "AWS::Serverless-2016-10-31"
    template["Globals"]["Function"]["CodeUri"] = PACKAGE
    translator = Translator({}, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    result: dict[str, Any] = translator.translate(template, {}, get_managed_policy_map=lambda: {})
    return result


def resources(kind: str | None = None) -> dict[str, dict[str, Any]]:
    every: dict[str, dict[str, Any]] = translated()["Resources"]
    return {name: r for name, r in every.items() if kind is None or r["Type"] == kind}


def sample_values() -> dict[str, Any]:
    """Each parameter's default, the sample countries, and AWS's pseudo parameters."""
    values: dict[str, Any] = {}
    for name, parameter in source()["Parameters"].items():
        default = parameter.get("Default", "")
        values[name] = default.split(",") if parameter["Type"] == "CommaDelimitedList" else default
    values |= {
        "Countries": COUNTRIES,
        "PublicUrl": "https://api.clinic.example",
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }
    return values


def resolve(value: Any) -> Any:
    """`value` with its intrinsic functions worked out: parameters take sample_values(),
    a resource's Ref its logical id, an attribute `<id>.<attribute>`; `Fn::If` takes its
    first branch (the sample values make every condition true)."""
    if isinstance(value, list):
        return [resolve(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1 or not next(iter(value)).startswith(("Ref", "Fn::")):
        return {key: resolve(item) for key, item in value.items()}
    ((function, argument),) = value.items()
    if function == "Ref":
        return sample_values().get(argument, argument)
    if function == "Fn::GetAtt":
        return ".".join(argument)
    if function == "Fn::Join":
        separator, items = argument
        return separator.join(str(item) for item in resolve(items))
    if function == "Fn::If":
        return resolve(argument[1])
    if function == "Fn::Sub":
        return _SUB.sub(lambda m: str(resolve(_reference(m.group(1)))), argument)
    return value


def _reference(name: str) -> dict[str, Any]:
    if "." in name and not name.startswith("AWS::"):
        return {"Fn::GetAtt": name.split(".", 1)}
    return {"Ref": name}


def role_statements(role: str) -> list[dict[str, Any]]:
    """Every statement the role's policies grant: its inline policies and the policies
    attached to it elsewhere in the template."""
    found = resources()[role]["Properties"]
    assert not found.get("ManagedPolicyArns"), f"{role} has managed policies"
    documents = [policy["PolicyDocument"] for policy in found.get("Policies", [])]
    for other in resources().values():
        if other["Type"] in ("AWS::IAM::RolePolicy", "AWS::IAM::Policy"):
            properties = other["Properties"]
            names = [*properties.get("Roles", []), properties.get("RoleName")]
            if {"Ref": role} in names:
                documents.append(properties["PolicyDocument"])
    return [statement for document in documents for statement in document["Statement"]]


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
