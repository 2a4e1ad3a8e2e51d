"""What every evaluation returns."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Result:
    """Headline numbers (flat name -> float), tables (name -> DataFrame) and notes (name -> text)."""

    metrics: dict
    tables: dict
    notes: dict = field(default_factory=dict)
