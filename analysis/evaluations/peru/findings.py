"""What the Peru chapter finds beyond the reconciliation verdicts: the precarious-rent deduction
Tabla 6 implies, the share of interest the revolving figures need, the cumulative discounted net
benefit and the assumption the conclusion is most fragile to. Pure functions; the chapter only
formats and plots their results."""

from __future__ import annotations

import pandas as pd

from ...core.finance import npv
from . import model, reconciliation

PUBLISHED_SCENARIOS = ("base", "conservative")


# ---- the precarious-rent deduction (footnote 2) --------------------------------------------------


def sub1_benefit_gap(rec: pd.DataFrame) -> pd.DataFrame:
    """Per published scenario, Subcomponent 1's PV benefits per beneficiary: published,
    reproduced, the difference and the difference over the published value."""
    cells = rec[(rec["table"] == "tabla6") & (rec["row"] == "sub1 per beneficiary") & (rec["column"] == "PV benefits")]
    return pd.DataFrame(
        {
            "scenario": cells["scenario"],
            "published": cells["published"],
            "reproduced": cells["reproduced"],
            "difference": cells["difference"],
            "relative": cells["difference"] / cells["published"],
        }
    ).reset_index(drop=True)


def implied_precarious_deduction(p: dict, published_programme_benefits: float) -> float:
    """PV per beneficiary of the precarious-rent deduction (*arriendo de vivienda precaria*) that
    Tabla 6 implies: the model's Sub1 benefits without any deduction minus the published programme
    benefits over the credits."""
    m = model.evaluate({**p, "precarious_share": 0.0}).metrics
    return m["sub1.pv_benefits"] - published_programme_benefits / p["sub1_credits"]


def modelled_precarious_deduction(p: dict) -> float:
    """PV per beneficiary of the precarious-rent deduction the model applies (positive)."""
    cf = model.sub1_cash_flow(p)
    return -npv(p["discount_rate"], cf["precarious_rent_deduction"], p["discount_first_period"])


def deduction_table(ev) -> pd.DataFrame:
    """For each published scenario: the deduction Tabla 6 implies with the home worth the sum of
    its financing (V1 = S + A + L) and with the printed 42,582, and the deduction the model applies."""
    pub = reconciliation.published("tabla6").query("row == 'sub1 programme' and column == 'PV benefits'")
    benefits = pub.set_index("scenario")["published"]
    rows = []
    for name in PUBLISHED_SCENARIOS:
        p = ev.load(name).values
        rows.append(
            {
                "scenario": name,
                "implied, V1 = S + A + L": implied_precarious_deduction(
                    {**p, "sub1_house_value_rule": "financing_sum"}, benefits[name]
                ),
                "implied, V1 as printed": implied_precarious_deduction(
                    {**p, "sub1_house_value_rule": "stated"}, benefits[name]
                ),
                "modelled": modelled_precarious_deduction(p),
            }
        )
    return pd.DataFrame(rows)


# ---- the revolving effect (efecto rotatorio) ----------------------------------------------------


def revolving_extra_credits(p: dict, k: str, share: float) -> float:
    """Further credits of subcomponent ``k`` when ``share`` of its interest is lent again."""
    rev = model.revolving({**p, f"{k}_revolving_interest_share": share})
    return float(rev[f"{k}_credits"].iloc[1:].sum())


def revolving_share_needed(p: dict, k: str, target_credits: float, low: float = -1.0, high: float = 1.0) -> float:
    """The share of interest lent again (subcomponent ``k``) that yields ``target_credits`` further
    credits. Bisection on [low, high]; a negative share means that lending the principal alone
    again already gives more than the target. NaN if the target lies outside the range."""
    if not revolving_extra_credits(p, k, low) <= target_credits <= revolving_extra_credits(p, k, high):
        return float("nan")
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if revolving_extra_credits(p, k, mid) < target_credits else (low, mid)
    return (low + high) / 2


def revolving_shares_needed(p: dict) -> dict:
    """The share of interest lent again that each published count of further credits needs
    (back-solved, not from the document), and what Subcomponent 2 would give at Sub1's share."""
    pub = reconciliation.revolving_published()
    need = {k: revolving_share_needed(p, k, pub[f"{k}_extra_credits"]) for k in ("sub1", "sub2")}
    at_sub1 = model.evaluate(
        {**p, "sub1_revolving_interest_share": need["sub1"], "sub2_revolving_interest_share": need["sub1"]}
    ).metrics
    return {
        "sub1": need["sub1"],
        "sub2": need["sub2"],
        "sub2_extra_credits_at_sub1_share": at_sub1["revolving.sub2_extra_credits"],
        "sub2_extra_amount_at_sub1_share": at_sub1["revolving.sub2_extra_amount"],
    }


def revolving_comparison(result) -> pd.DataFrame:
    """The published revolving figures beside one run's, in credits and USD, with the relative gap."""
    pub, rep = reconciliation.revolving_published(), reconciliation.revolving_figures(result)
    return pd.DataFrame(
        [
            {
                "figure": row,
                "figure_key": figure,
                "published": pub[figure],
                "reproduced": rep[figure],
                "gap": rep[figure] / pub[figure] - 1,
            }
            for row, (figure, _, _) in reconciliation.REVOLVING.items()
        ]
    )


# ---- results and uncertainty ------------------------------------------------------------------


def runs_to_compare(ev, sc, result) -> dict:
    """The runs the cumulative-benefit figure draws: the published scenarios always, and this
    page's run (label ``this page (...)``) when it is not one of them unchanged."""
    runs = {name: ev.run(name)[1] for name in PUBLISHED_SCENARIOS}
    if sc.name not in runs or sc.overrides:
        runs[f"this page ({sc.name}{', overrides' if sc.overrides else ''})"] = result
    return runs


def cumulative_discounted_net_benefit(runs: dict) -> pd.DataFrame:
    """Cumulative discounted net benefit per beneficiary, year by year, of each run
    (``label -> Result``): columns run, subcomponent, year, value. Where it crosses zero the
    subcomponent has paid back at the discount rate; its last value is the NPV."""
    frames = []
    for label, result in runs.items():
        for sub, key in (("sub1", "sub1_cash_flow"), ("sub2", "sub2_cash_flow")):
            cf = result.tables[key]
            frames.append(
                pd.DataFrame(
                    {"run": label, "subcomponent": sub, "year": cf["year"], "value": cf["discounted_net_flow"].cumsum()}
                )
            )
    return pd.concat(frames, ignore_index=True)


def most_fragile(alone: pd.DataFrame) -> dict:
    """From ``uncertainty.one_at_a_time``: the assumption whose own draws most often make the
    conclusion fail, its probability, and the others that can make it fail on their own."""
    alone = alone.sort_values("p_fails_alone", ascending=False, ignore_index=True)
    top = alone.iloc[0]
    others = alone.iloc[1:]
    others = others[others["p_fails_alone"] > 0]
    return {
        "parameter": str(top["parameter"]),
        "p_fails_alone": float(top["p_fails_alone"]),
        "others": dict(zip(others["parameter"], others["p_fails_alone"].astype(float))),
    }


# ---- figures and phrases of the prose -----------------------------------------------------------


def reading_overrides(ev, key: str) -> dict:
    """The parameter values a reading of the document sets (its alternative figures)."""
    return next(r.overrides for r in ev.readings if r.key == key)


def document_figures(ev) -> dict:
    """The figures the chapter's text quotes from the document, each from where the book keeps it:
    the published scenarios' parameter files, the readings' alternative values and the published
    revolving figures. Shares as fractions, money in USD."""
    base, cons = ev.load("base").values, ev.load("conservative").values
    pub = reconciliation.revolving_published()
    growth_exact = reading_overrides(ev, "growth5865")["house_price_growth"]
    return {
        "capital": pub["sub1_direct_amount"] + pub["sub2_direct_amount"],
        "sub1_capital": pub["sub1_direct_amount"],
        "sub2_capital": pub["sub2_direct_amount"],
        "sub1_direct_credits": pub["sub1_direct_credits"],
        "sub2_direct_credits": pub["sub2_direct_credits"],
        "horizon": base["horizon_years"],
        "discount_rate": base["discount_rate"],
        "house_value_stated": base["sub1_house_value_stated"],
        "precarious_rent": base["precarious_rent_monthly"],
        "precarious_share": base["precarious_share"],
        "used_home_share": base["used_home_share"],
        "used_home_factor": 1 - base["used_home_share"],
        "sub1_loan_rate": base["sub1_loan_rate"],
        "sub2_loan_rate": base["sub2_loan_rate"],
        "rent_yield": base["monthly_rent_yield"],
        "rent_yield_year": 12 * base["monthly_rent_yield"],
        "rent_yield_tabla4": reading_overrides(ev, "rent055")["monthly_rent_yield"],
        "value_premium": base["sub2_value_factor"] - 1,
        "value_factor": base["sub2_value_factor"],
        "minimum_wage": base["minimum_wage_monthly"],
        "wage_days": base["wage_days_per_month"],
        "daily_wage": base["minimum_wage_monthly"] / base["wage_days_per_month"],
        "wage_days_footnote": reading_overrides(ev, "wage20")["wage_days_per_month"],
        "cpi": base["cpi_growth"],
        "cpi_tabla4": reading_overrides(ev, "cpi40")["cpi_growth"],
        "growth_base": base["house_price_growth"],
        "growth_cons": cons["house_price_growth"],
        "growth_exact_mean": growth_exact,
        # the other rate of that mean: the mean is (other + base) / 2
        "growth_other": 2 * growth_exact - base["house_price_growth"],
        "rent_yield_cons": cons["monthly_rent_yield"],
        "rent_yield_cons_exact": reading_overrides(ev, "rent04842")["monthly_rent_yield"],
        "school_days": base["school_absence_days"],
        "absence_reduction": base["absence_reduction"],
        "children": base["children_per_household"],
        "maintenance": base["maintenance_rate"],
        "coincidence_share": reading_overrides(ev, "prec50")["precarious_share"],
    }


def improved_home_rent(p: dict) -> dict:
    """The monthly imputed rent of a home after the Subcomponent 2 works, year 1, under each
    reading of how the works raise its value (the text checks it against a quoted rent)."""
    rent = {}
    for rule in ("works_plus_premium", "house_times_factor"):
        value = p["sub2_house_value_before"] + model.sub2_value_gain({**p, "sub2_value_rule": rule})
        rent[rule] = float(p["monthly_rent_yield"] * value)
    return rent


def mortgage_cost(p: dict, result) -> dict:
    """The present value, at the discount rate, of the Sub1 mortgage's instalments beside its
    principal, and a phrase saying which is larger (true at any parameters)."""
    pv = npv(p["discount_rate"], result.tables["sub1_cash_flow"]["credit_instalments"], p["discount_first_period"])
    loan = p["sub1_loan"]
    word = "less than" if pv < loan else "more than" if pv > loan else "exactly"
    return {"pv_instalments": float(pv), "loan": float(loan), "phrase": f"costs {word} its principal"}


def largest_differences(rec: pd.DataFrame) -> dict:
    """The largest absolute difference, USD per beneficiary, between published and reproduced
    Tabla 6 cells: of the PV costs of both subcomponents, and of every Subcomponent 2 cell."""
    t6 = rec[(rec["table"] == "tabla6") & rec["row"].str.endswith("per beneficiary")]
    money = t6[t6["column"].isin(["PV costs", "PV benefits", "NPV"])]
    return {
        "costs": float(money.loc[money["column"] == "PV costs", "difference"].abs().max()),
        "sub2": float(money.loc[money["row"] == "sub2 per beneficiary", "difference"].abs().max()),
    }


def discounting(p: dict) -> str:
    """How year 1 is discounted at ``discount_first_period``, as words for the prose."""
    if p["discount_first_period"] == 1:
        return "year 1 is discounted once, as Excel's `NPV()` does"
    return "year 1 is not discounted, as numpy-financial's `npv` does"
