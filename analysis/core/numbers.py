"""The book's one number vocabulary: every number a page, a table, a verdict or a download shows
is written by these functions, on Babel's locale data (``babel.numbers``), so that a number looks
the same everywhere and a later edition in another language changes only ``locale``.

The forms, for the English edition (``locale="en"``):

* a share as a percentage with a no-break space before the sign, so that "%" never wraps alone:
  ``7.05 %`` (U+00A0 between the figure and the sign);
* a difference of two rates in percentage points, never in %: ``+1.20 percentage points``;
* no signed zero: a value that rounds to zero is ``0.00``, never ``-0.00``;
* amounts of a million or more as a figure and a scale word: ``USD 310 million``,
  ``USD 2.2 billion`` (never ``USD 310,000 million``);
* a published figure at the precision the source printed it (the ``decimals`` recorded beside it
  in ``data/published``), a computed one no finer than its uncertainty (:func:`decimals_for`),
  a parameter with the digits it was written with, at most :data:`SIGNIFICANT` of them.
"""

from __future__ import annotations

import math
import re

from babel.numbers import format_compact_decimal, format_decimal

LOCALE = "en"  # the edition's language; a Spanish edition passes "es" (decimal comma)
NBSP = "\u00a0"  # between a figure and its "%" (and its scale word): they never part at a line end
POINTS = "percentage points"  # the unit of a difference of two rates
SIGNIFICANT = 4  # digits shown of a parameter that is not a whole number (an input, not a result)
MISSING = "n/a"
STORED_DIGITS = 12  # significant digits kept of a computed value (the last bits differ between CPUs)
BESIDE_PUBLISHED = 1  # a reproduced figure beside a published one: one decimal finer, to see how it rounds


_SPACED_PERCENT = re.compile(r"(?<=\d) %")


def spaced(text: str) -> str:
    """Prose written by hand (a parameter file's unit, note or locator) with the book's one
    "%" form: a no-break space between a figure and "%". A "%" written against its figure
    ("12%", as a quoted source prints it) is left as written."""
    return _SPACED_PERCENT.sub(NBSP + "%", str(text))


def stored(x) -> float:
    """``x`` to :data:`STORED_DIGITS` significant digits: a computed value as glued or
    downloaded, without the float noise of its last bits (``0.30000000000000004`` -> ``0.3``)."""
    return float(f"{float(x):.{STORED_DIGITS}g}")


def _missing(x) -> bool:
    """True for None, NaN and infinities: values a page shows as :data:`MISSING`."""
    try:
        return x is None or not math.isfinite(float(x))
    except (TypeError, ValueError):
        return True


def _unsigned_zero(x: float, decimals: int) -> float:
    """``x`` rounded to ``decimals``, a negative zero made positive (no "-0.00")."""
    return round(float(x), decimals) + 0.0


def number(x, decimals: int = 0, locale: str = LOCALE, sign: bool = False) -> str:
    """A number with thousands separated and ``decimals`` decimals: ``1,234,567.89``.

    Parameters
    ----------
    x : float
    decimals : int
        Decimals shown (negative: rounded to tens, hundreds, ...; shown without decimals).
    locale : str
        Babel locale of the edition.
    sign : bool
        Show a "+" before a positive value (a change); zero has no sign.
    """
    if _missing(x):
        return MISSING
    v = _unsigned_zero(x, decimals)
    d = max(int(decimals), 0)
    out = format_decimal(v, "#,##0" + ("." + "0" * d if d else ""), locale=locale)
    return ("+" + out) if sign and v > 0 else out


def percent(share, decimals: int = 2, locale: str = LOCALE, sign: bool = False) -> str:
    """A share as a percentage: ``0.0705`` -> ``7.05 %`` (no-break space before the sign)."""
    if _missing(share):
        return MISSING
    return number(100 * float(share), decimals, locale, sign) + NBSP + "%"


def points(difference, decimals: int = 2, locale: str = LOCALE, sign: bool = True) -> str:
    """A difference of two shares in percentage points: ``0.012`` -> ``+1.20 percentage points``."""
    if _missing(difference):
        return MISSING
    return number(100 * float(difference), decimals, locale, sign) + NBSP + POINTS


def written(x, locale: str = LOCALE) -> str:
    """A parameter as written, without float noise: whole numbers whole (``42,582``), others to
    at most :data:`SIGNIFICANT` significant digits but never fewer than their whole part
    (``0.4842``, ``62.02``, ``8.5``)."""
    if _missing(x):
        return MISSING
    v, keep = rounded(x)
    return format_decimal(v, "#,##0." + "#" * max(keep, 1), locale=locale)


def rounded(x) -> tuple:
    """``x`` as :func:`written` shows it, as a number, and its decimals: ``(62.02, 2)``; whole
    numbers stay whole ``(42582.0, 0)``."""
    x = float(x)
    if x.is_integer():
        return x + 0.0, 0
    first = int(math.floor(math.log10(abs(x))))  # the place of the first significant digit
    v = _unsigned_zero(x, max(SIGNIFICANT - 1 - first, 0))
    return v, len(repr(v).partition(".")[2].rstrip("0")) if "e" not in repr(v) else SIGNIFICANT - 1 - first


def written_percent(share, locale: str = LOCALE) -> str:
    """A share parameter as written, as a percentage: ``0.0705`` -> ``7.05 %``."""
    if _missing(share):
        return MISSING
    return written(100 * float(share), locale) + NBSP + "%"


def decimals_for(uncertainty: float, scale: float = 1.0) -> int:
    """Decimals a computed value deserves: down to the second significant digit of its
    ``uncertainty`` (a standard error, a tolerance: 0.0312 -> 3 decimals), after multiplying by
    ``scale`` (100 for a percentage); none for an uncertainty of 10 or more, nor for none."""
    u = abs(float(uncertainty) * scale)
    if not math.isfinite(u) or u == 0:
        return 0
    return max(1 - int(math.floor(math.log10(u))), 0)


def published(value, decimals: int, as_percent: bool = False, locale: str = LOCALE) -> str:
    """A published figure at the source's precision: ``decimals`` is the number of decimals the
    document printed (recorded beside the figure in ``data/published``), never more."""
    if as_percent:
        return percent(value, decimals, locale)
    return number(value, decimals, locale)


def scaled(x, decimals: int = 1, locale: str = LOCALE) -> str:
    """An amount of a million or more as a figure and a scale word: ``310e6`` -> ``310 million``,
    ``2.2e9`` -> ``2.2 billion``; smaller amounts whole: ``42,582``."""
    if _missing(x):
        return MISSING
    if abs(float(x)) < 1e6:
        return number(x, 0, locale)
    words = format_compact_decimal(float(x), format_type="long", locale=locale, fraction_digits=decimals)
    return words.replace(" ", NBSP, 1)


def usd(x, decimals: int = 0, locale: str = LOCALE) -> str:
    """An amount in US dollars: ``USD 42,582``; ``USD 310 million`` from a million up."""
    if _missing(x):
        return MISSING
    shown = scaled(x, max(decimals, 1), locale) if abs(float(x)) >= 1e6 else number(x, decimals, locale)
    return "USD" + NBSP + shown


FORMS = ("number", "percent", "points", "written", "written percent")


def glued(x, decimals: int, form: str = "number", sign: bool = False) -> tuple:
    """How a page's prose shows a glued number (glue keeps Python floats, formatted by the
    Markdown's ``{glue:text}`` spec): ``(value, spec, suffix)``, the value already scaled and
    rounded (a share to percent, no negative zero), so that ``f"{value:{spec}}{suffix}"`` reads as
    :func:`number`, :func:`percent` or :func:`points` write it (for ``locale="en"``)."""
    if form not in FORMS:
        raise ValueError(f"form {form!r} is not one of {FORMS}")
    scale = 1 if form in ("number", "written") else 100
    suffix = NBSP + POINTS if form == "points" else NBSP + "%" if form.endswith("percent") else ""
    if form.startswith("written"):  # a parameter: the digits it was written with (decimals unused)
        v, d = rounded(scale * float(x))
    else:
        d = max(int(decimals), 0)
        v = _unsigned_zero(scale * float(x), d)
    plus = "+" if sign and v != 0 else ""  # a format spec's "+" would sign a zero: "+0"
    return v, f"{plus},.{d}f", suffix
