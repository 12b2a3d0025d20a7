"""The shipped countries, registered on import: a pure registration of constants."""

from __future__ import annotations

from carehub.countries.rules import CountryRules, register
from carehub.countries.rulesets import cl, co, mx, pe, us

SHIPPED: tuple[CountryRules, ...] = (cl.RULES, co.RULES, mx.RULES, pe.RULES, us.RULES)

for _rules in SHIPPED:
    register(_rules)
