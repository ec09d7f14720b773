"""The demo's made-up names, read from ``names.toml`` beside this module: the networks (with how
often gifts go to each), first names, surnames and the organisations that give."""

from __future__ import annotations

import tomllib
from importlib.resources import files

_DATA = tomllib.loads(files("kassan.demo").joinpath("names.toml").read_text(encoding="utf-8"))

# slug, name, weight (how often gifts go to it)
NETWORKS: tuple[tuple[str, str, int], ...] = tuple(
    (n["slug"], n["name"], int(n["weight"])) for n in _DATA["networks"]
)
WOMEN: tuple[str, ...] = tuple(_DATA["women"])
MEN: tuple[str, ...] = tuple(_DATA["men"])
SURNAMES: tuple[str, ...] = tuple(_DATA["surnames"])
ORGANISATIONS: tuple[str, ...] = tuple(_DATA["organisations"])
