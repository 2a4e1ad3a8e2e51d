"""What the Peru chapter finds beyond the reconciliation verdicts: the precarious-rent deduction
Tabla 6 implies, the share of interest the revolving figures need, the cumulative discounted net
benefit and the assumption the conclusion is most fragile to. Pure functions; the chapter only
formats and plots their results."""

from __future__ import annotations

import pandas as pd

from ...finance import npv
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
