"""The README's "Deploy to AWS" section describes the template: its parameter table lists
exactly the template's parameters with their defaults, and its commands build what the
template deploys."""

from __future__ import annotations

import re

from tests.deploy.sam_template import ROOT, source

README = (ROOT / "README.md").read_text()
SECTION = README.split("### Deploy to AWS\n", 1)[1].split("\n### ", 1)[0]


def test_the_parameter_table_is_the_templates() -> None:
    rows = re.findall(r"^\| `(\w+)` \| (?:`([^`]*)`|empty) \|", SECTION, re.M)
    documented = {name: default for name, default in rows}
    parameters = source()["Parameters"]
    assert documented == {name: str(p.get("Default", "")) for name, p in parameters.items()}


def test_the_commands_build_what_the_template_deploys() -> None:
    assert "make lambda-package" in SECTION
    assert "sam build -t deploy/aws/template.yaml" in SECTION
    assert "CAPABILITY_AUTO_EXPAND" in SECTION  # the AWS::LanguageExtensions transform
    code = source()["Globals"]["Function"]["CodeUri"]
    makefile = (ROOT / "Makefile").read_text()
    package = re.search(r"^lambda_dir := (\S+)$", makefile, re.M)
    assert package is not None
    assert (ROOT / "deploy" / "aws" / code).resolve() == (ROOT / package.group(1)).resolve()
    assert f"--name {source()['Parameters']['SecretKeyName']['Default']} " in SECTION
