# mypy: disallow-untyped-defs
"""Secondary evidence: date of birth and nationality move a name score up or down.

The name decides whether two records can be the same party; these fields only separate
namesakes. Adjustments (points on the 0-100 scale, the total is clamped to 0-100):

============================================  =======
query and entry date of birth agree to the day  +5
agree on the year only (one side knows the year) +2
differ by one year (typo, calendar conversion)   -5
differ by more than one year                    -15
nationality equal to one of the entry's          +3
entry has nationalities, none equal             -5
============================================  =======

A field missing on either side changes nothing. The largest possible boost (``MAX_BOOST``) lets
the index skip candidates that cannot reach the threshold even with it.
"""

from __future__ import annotations

from .model import ListEntry

DOB_EXACT = 5.0
DOB_YEAR = 2.0
DOB_NEAR = -5.0
DOB_DIFFERENT = -15.0
NATIONALITY_EQUAL = 3.0
NATIONALITY_DIFFERENT = -5.0
MAX_BOOST = DOB_EXACT + NATIONALITY_EQUAL


def _dob_adjustment(query: str, dates: tuple[str, ...]) -> tuple[float, str] | None:
    best: tuple[float, str] | None = None
    for date in dates:
        common = min(len(query), len(date))
        if query[:common] == date[:common]:
            option = (DOB_EXACT, "date of birth equal") if common >= 10 else (DOB_YEAR, "year of birth equal")
        elif abs(int(query[:4]) - int(date[:4])) <= 1:
            option = (DOB_NEAR, "date of birth within one year")
        else:
            option = (DOB_DIFFERENT, "date of birth differs")
        if best is None or option[0] > best[0]:
            best = option
    return best


def secondary_adjustments(
    entry: ListEntry, date_of_birth: str | None, nationality: str | None
) -> list[tuple[float, str]]:
    """Score changes for this entry given the query's date of birth and nationality."""
    changes: list[tuple[float, str]] = []
    if date_of_birth and entry.dates_of_birth:
        found = _dob_adjustment(date_of_birth.strip(), entry.dates_of_birth)
        if found is not None:
            delta, note = found
            changes.append((delta, f"{note} ({delta:+g})"))
    if nationality and entry.nationalities:
        wanted = nationality.strip().casefold()
        if any(n.strip().casefold() == wanted for n in entry.nationalities):
            changes.append((NATIONALITY_EQUAL, f"nationality equal ({NATIONALITY_EQUAL:+g})"))
        else:
            changes.append((NATIONALITY_DIFFERENT, f"nationality differs ({NATIONALITY_DIFFERENT:+g})"))
    return changes
