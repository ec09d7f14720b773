"""How names and amounts read for people (reports/display.py)."""

from __future__ import annotations

from reports.display import swedish_key


def test_names_sort_the_swedish_way_with_a_a_o_after_z():
    names = ["Östafrika", "Palestina", "Zeta", "Ängby", "Åre", "Aby", "Ärla", "Zz"]
    assert sorted(names, key=swedish_key) == [
        "Aby",
        "Palestina",
        "Zeta",
        "Zz",
        "Åre",
        "Ängby",
        "Ärla",
        "Östafrika",
    ]


def test_accents_and_case_only_break_ties_and_neighbours_letters_count_as_swedish():
    assert sorted(["eve", "Éva", "Eva"], key=swedish_key) == ["Eva", "Éva", "eve"]
    assert sorted(["Ørsted", "Ödeshög", "Zürich", "Yxa"], key=swedish_key) == [
        "Yxa",
        "Zürich",
        "Ödeshög",
        "Ørsted",
    ]
    assert sorted(["Übel", "Uppsala", "Ystad"], key=swedish_key) == ["Uppsala", "Übel", "Ystad"]
