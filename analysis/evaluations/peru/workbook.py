"""Peru as live formulas: the yearly flows per beneficiary of Subcomponents 1 (new homes) and 2
(home improvement), the three health benefits, the programme totals and the revolving effect,
one formula across each row, from the named inputs of the Inputs sheet.

Sheets: **Health** (the year-1 health benefits of Sub2 from their inputs), **Sub1** and **Sub2**
(flows per beneficiary, years 1..horizon, with the derived scalars and the measures PV costs,
PV benefits, NPV (VNA), B/C, IRR (TIR) below the flows), **Programme** (credits x the flows per
beneficiary) and **Revolving** (efecto rotatorio: yearly cohorts of credits lent again).
Choices and booleans (house-value rule, value rule, precarious growth, loan-rate convention,
flow prices (a deflator row; the IRR is of the flow at the prices discounted), credit cost, terminal value,
rounding) are IF() formulas on their input cells; only the horizon sets the layout.
"""

from __future__ import annotations

import numpy as np

from ...core.finance import amortization_schedule, periodic_rate
from ...core.sheets import Book, cell, col_letter
from . import model

# Parameters that set the layout (rows and columns): a new workbook is needed to change them.
STRUCTURAL = ("horizon_years",)

# Numbers typed into formulas besides unit conversions: number -> why.
CONSTANTS = {2: "the instalment rounded to cents (2 decimals) where sub1/sub2_round_instalment says so"}

SUBS = ("sub1", "sub2")
MEASURES = ("pv_costs", "pv_benefits", "npv", "bc_ratio", "irr")
MEASURE_LABELS = {
    "pv_costs": ("present value of costs (VP costos)", "USD"),
    "pv_benefits": ("present value of benefits (VP beneficios)", "USD"),
    "npv": ("net present value (VNA)", "USD"),
    "bc_ratio": ("benefit-cost ratio (B/C)", "ratio"),
    "irr": ("internal rate of return (TIR)", "per year"),
}
# metric prefix -> (Tabla 6 row, label)
TABLA6 = {
    "sub1": ("sub1 per beneficiary", "Subcomponent 1, per beneficiary"),
    "sub2": ("sub2 per beneficiary", "Subcomponent 2, per beneficiary"),
    "sub1_total": ("sub1 programme", "Subcomponent 1, programme"),
    "sub2_total": ("sub2 programme", "Subcomponent 2, programme"),
    "total": ("total programme", "programme"),
}
TABLA6_COLUMN = {"pv_costs": "PV costs", "pv_benefits": "PV benefits", "npv": "NPV", "bc_ratio": "B/C", "irr": "IRR %"}
HEALTH_LABELS = {
    "school_absenteeism": "school absenteeism (ausentismo escolar)",
    "work_absenteeism": "work absenteeism (ausentismo laboral)",
    "hospitalisations": "hospitalisations (hospitalizaciones)",
}


def _monthly_rate(k: str) -> str:
    return f'IF(p_loan_rate_convention="nominal",p_{k}_loan_rate/12,(1+p_{k}_loan_rate)^(1/12)-1)'


class _Sheet:
    """A yearly sheet: row 0 holds the years 1..horizon in columns B..; rows are written one
    formula shape across the years; a block of scalars and measures follows below the flows."""

    def __init__(self, book: Book, name: str, h: int):
        self.book, self.h = book, h
        self.ws = book.sheet(name)
        self.ws.set_column(0, 0, 44)
        self.ws.set_column(1, h, 12)
        self.ws.write(0, 0, "year", book.fmt("header"))
        self.ws.write_row(0, 1, list(range(1, h + 1)), book.fmt("header"))
        self.ws.freeze_panes(1, 1)
        self.row = 1
        self.rows = {}  # key -> row index
        self.scalars = {}  # key -> absolute A1 reference

    def year(self, c: int) -> str:
        return f"{col_letter(c)}$1"

    def line(self, key: str, label: str, formula, values, fmt: str = "money") -> int:
        """A row: ``formula(c, year)`` gives the formula of column c (year cell ``year``)."""
        r = self.row
        self.ws.write(r, 0, label)
        values = np.broadcast_to(np.asarray(values, dtype=float), (self.h,))
        for t in range(1, self.h + 1):
            self.book.formula(self.ws, r, t, "=" + formula(t, self.year(t)), float(values[t - 1]), fmt)
        self.rows[key] = r
        self.row += 1
        return r

    def at(self, key: str, c: int) -> str:
        """Relative reference to row ``key`` in column c."""
        return cell(self.rows[key], c)

    def span(self, key: str) -> str:
        """The row ``key`` over the years, B..: absolute."""
        r = self.rows[key]
        return f"{cell(r, 1, absolute=True)}:{cell(r, self.h, absolute=True)}"

    def ext(self, key: str) -> str:
        """The row ``key`` over the years as referred to from another sheet."""
        return f"'{self.ws.get_name()}'!{self.span(key)}"

    def ext_at(self, key: str, c: int) -> str:
        return f"'{self.ws.get_name()}'!{cell(self.rows[key], c)}"

    def skip(self, label: str | None = None) -> None:
        if label:
            self.ws.write(self.row, 0, label, self.book.fmt("header"))
        self.row += 1

    def scalar(self, key: str, label: str, formula: str, value, fmt: str = "number") -> str:
        """A single cell in column B (label in A); returns its absolute reference."""
        r = self.row
        self.ws.write(r, 0, label)
        self.book.formula(self.ws, r, 1, "=" + formula, float(value), fmt)
        self.scalars[key] = cell(r, 1, absolute=True)
        self.row += 1
        return self.scalars[key]

    def ext_scalar(self, key: str) -> str:
        return f"'{self.ws.get_name()}'!{self.scalars[key]}"


def _discounting(s: _Sheet, factor, lines: dict, benefits: str, costs: str, net: str, prefix: str = "", p=None) -> None:
    """Price deflator row (flow_prices), discount factor row, discounted benefits, costs and net
    flow, and the net flow at the prices discounted (the IRR's flow: real flows give the real IRR)."""
    deflator = model._deflator(p)
    s.line(
        prefix + "deflator",
        "price deflator: 1, or 1/(1+CPI)^(year-1) for real flows (flow_prices)",
        lambda c, y: f'IF(p_flow_prices="real",(1+p_cpi_growth)^-({y}-1),1)',
        deflator,
        "number",
    )
    s.line(
        prefix + "discount_factor",
        "discount factor 1/(1+r)^(year-1+discount_first_period) x deflator",
        lambda c, y: f"(1+p_discount_rate)^-({y}-1+p_discount_first_period)*{s.at(prefix + 'deflator', c)}",
        factor,
        "number",
    )
    for key, src, label in (
        ("disc_benefits", benefits, "discounted benefits"),
        ("disc_costs", costs, "discounted costs"),
        ("disc_net", net, "discounted net flow"),
    ):
        s.line(
            prefix + key,
            label,
            lambda c, y, src=src: f"{s.at(src, c)}*{s.at(prefix + 'discount_factor', c)}",
            lines[src] * factor,
        )
    _at_prices(s, net, lines[net] * deflator, prefix)


def _at_prices(s: _Sheet, net: str, values, prefix: str = "") -> None:
    """The row ``net`` times the deflator: the flow whose IRR is reported."""
    s.line(
        net + "_at_prices",
        f"{net.replace('_', ' ')} at the prices discounted (x deflator), for the IRR",
        lambda c, y: f"{s.at(net, c)}*{s.at(prefix + 'deflator', c)}",
        values,
    )


def _measures(s: _Sheet, metrics: dict, name: str, prefix: str = "", net: str = "net_flow") -> dict:
    """PV costs, PV benefits, NPV, B/C and IRR of the discounted rows of ``s``; name -> reference."""
    label = TABLA6[name][1]
    refs = {}
    pv_c = s.scalar(
        f"{name}.pv_costs",
        f"PV costs, {label}",
        f"SUM({s.span(prefix + 'disc_costs')})",
        metrics[f"{name}.pv_costs"],
        "money",
    )
    pv_b = s.scalar(
        f"{name}.pv_benefits",
        f"PV benefits, {label}",
        f"SUM({s.span(prefix + 'disc_benefits')})",
        metrics[f"{name}.pv_benefits"],
        "money",
    )
    refs["pv_costs"], refs["pv_benefits"] = pv_c, pv_b
    refs["npv"] = s.scalar(f"{name}.npv", f"NPV (VNA), {label}", f"{pv_b}-{pv_c}", metrics[f"{name}.npv"], "money")
    refs["bc_ratio"] = s.scalar(
        f"{name}.bc_ratio", f"B/C, {label}", f"IF({pv_c}=0,NA(),{pv_b}/{pv_c})", metrics[f"{name}.bc_ratio"], "ratio"
    )
    refs["irr"] = s.scalar(
        f"{name}.irr", f"IRR (TIR), {label}", f"IRR({s.span(net + '_at_prices')})", metrics[f"{name}.irr"], "percent"
    )
    return {k: f"'{s.ws.get_name()}'!{v}" for k, v in refs.items()}


def _health_sheet(book: Book, p: dict) -> dict:
    """The three year-1 health benefits per household; returns benefit -> reference of its year-1 flow."""
    ws = book.sheet("Health")
    ws.set_column(0, 0, 40)
    ws.set_column(1, 5, 18)
    head = [
        "benefit",
        "avoided per household a year",
        "unit value (USD)",
        "annual benefit (USD)",
        "year-1 flow (USD)",
        "formula",
    ]
    ws.write_row(0, 0, head, book.fmt("header"))
    h = model._health(p)
    daily = "p_minimum_wage_monthly/p_wage_days_per_month"
    avoided = {
        "school_absenteeism": "p_school_absence_days*p_absence_reduction*p_children_per_household",
        "work_absenteeism": "p_work_absence_days*p_absence_reduction*p_earners_per_household",
        "hospitalisations": "p_hospital_discharges/p_households*p_absence_reduction",
    }
    unit = {"school_absenteeism": daily, "work_absenteeism": daily, "hospitalisations": "p_hospitalisation_cost"}
    refs = {}
    for r, k in enumerate(model.HEALTH, start=1):
        a, u, annual, flow = (float(x) for x in h[k])
        ws.write(r, 0, HEALTH_LABELS[k])
        book.formula(ws, r, 1, "=" + avoided[k], a, "number")
        book.formula(ws, r, 2, "=" + unit[k], u, "money")
        book.formula(ws, r, 3, f"={cell(r, 1)}*{cell(r, 2)}", annual, "money")
        book.formula(ws, r, 4, f"=IF(p_health_round_to_printed,ROUND({cell(r, 3)},1),{cell(r, 3)})", flow, "money")
        ws.write(
            r, 5, "year-1 flow rounded to USD 0.1 (as printed) when health_round_to_printed is TRUE", book.fmt("note")
        )
        refs[k] = {
            "avoided": f"'Health'!{cell(r, 1, absolute=True)}",
            "annual": f"'Health'!{cell(r, 3, absolute=True)}",
            "flow": f"'Health'!{cell(r, 4, absolute=True)}",
        }
    return refs


def _costs(s: _Sheet, k: str, f: dict, value_row: str, p: dict) -> None:
    """The four cost lines (instalment and monthly rate scalars must exist on ``s``)."""
    s.line("subsidy", "subsidy (bono)", lambda c, y: f"IF({y}=1,p_{k}_subsidy,0)", f["subsidy"])
    s.line(
        "household_contribution",
        "household contribution (aporte)",
        lambda c, y: f"IF({y}=1,p_{k}_contribution,0)",
        f["household_contribution"],
    )
    inst = s.scalars["instalment"]
    s.line(
        "credit_instalments",
        "credit: 12 x cuota while it runs, or the principal in year 1 as a resource cost (credit_cost)",
        lambda c, y: f'IF(p_credit_cost="resource_cost",IF({y}=1,p_{k}_loan,0),IF({y}<=p_{k}_loan_years,12*{inst},0))',
        f["credit_instalments"],
    )
    s.line(
        "maintenance",
        "maintenance (mantenimiento)",
        lambda c, y: f"p_maintenance_rate*{s.at(value_row, c)}",
        f["maintenance"],
    )


def _loan_scalars(s: _Sheet, k: str, p: dict) -> None:
    r = periodic_rate(p[f"{k}_loan_rate"], 12, p["loan_rate_convention"])
    rm = s.scalar("monthly_rate", "monthly loan rate (loan_rate_convention)", _monthly_rate(k), r, "number")
    pmt = f"PMT({rm},12*p_{k}_loan_years,-p_{k}_loan)"
    s.scalar(
        "instalment",
        "monthly instalment (cuota), rounded to cents if asked",
        f"IF(p_{k}_round_instalment,ROUND({pmt},2),{pmt})",
        float(model._instalment(p, k)),
        "money",
    )


def _totals(s: _Sheet, f: dict, benefits: list) -> None:
    s.line("total_benefits", "total benefits", lambda c, y: "+".join(s.at(b, c) for b in benefits), f["total_benefits"])
    s.line("total_costs", "total costs", lambda c, y: "+".join(s.at(b, c) for b in model.COSTS), f["total_costs"])
    s.line(
        "net_flow",
        "net flow (benefits - costs)",
        lambda c, y: f"{s.at('total_benefits', c)}-{s.at('total_costs', c)}",
        f["net_flow"],
    )


def _sub1_sheet(book: Book, p: dict, result) -> _Sheet:
    h = p["horizon_years"]
    f = model.sub1_flows(p)
    factor = model._discount_factors(p)
    s = _Sheet(book, "Sub1", h)
    # scalars first would shift the year row; they go below the flows, but rows referring to them
    # need their address: reserve the rows now (fixed layout).
    n_flow_rows = 1 + len(model.SUB1_BENEFITS) + len(model.COSTS) + 3 + 6
    s.row = 1 + n_flow_rows + 1
    s.skip("derived per beneficiary")
    v1 = s.scalar(
        "v1",
        "home value in year 1 (sub1_house_value_rule)",
        'IF(p_sub1_house_value_rule="financing_sum",p_sub1_subsidy+p_sub1_contribution+p_sub1_loan,'
        "p_sub1_house_value_stated)",
        float(np.ravel(model.sub1_house_value(p))[0]),
        "money",
    )
    _loan_scalars(s, "sub1", p)
    scalar_row = s.row
    s.row = 1
    s.line(
        "house_value",
        "home value V_t = V_1 (1+g)^(t-1) (information)",
        lambda c, y: f"{v1}*(1+p_house_price_growth)^({y}-1)",
        f["house_value"],
    )
    s.line(
        "imputed_rent",
        "imputed rent (arriendo imputado)",
        lambda c, y: f"12*p_monthly_rent_yield*{s.at('house_value', c)}",
        f["imputed_rent"],
    )
    s.line(
        "asset_realisation",
        "asset realisation (realización del activo, V_1 in the last year)",
        lambda c, y: f"IF(AND({y}=p_horizon_years,p_terminal_value),{v1},0)",
        f["asset_realisation"],
    )
    s.line(
        "asset_valuation",
        "asset valuation (valorización, V_last - V_1 in the last year)",
        lambda c, y: f"IF(AND({y}=p_horizon_years,p_terminal_value),{s.at('house_value', c)}-{v1},0)",
        f["asset_valuation"],
    )
    s.line(
        "used_home_adjustment",
        "used-home adjustment (- share x rent and final value)",
        lambda c, y: (
            f"-p_used_home_share*({s.at('imputed_rent', c)}+{s.at('asset_realisation', c)}"
            f"+{s.at('asset_valuation', c)})"
        ),
        f["used_home_adjustment"],
    )
    s.line(
        "precarious_rent_deduction",
        "precarious-rent deduction (arriendo de vivienda precaria)",
        lambda c, y: (
            f'-(p_precarious_share*12*p_precarious_rent_monthly*IF(p_precarious_growth="cpi",'
            f"(1+p_cpi_growth)^({y}-1),1)*IF(p_precarious_used_adjust,1-p_used_home_share,1))"
        ),
        f["precarious_rent_deduction"],
    )
    _costs(s, "sub1", f, "house_value", p)
    _totals(s, f, model.SUB1_BENEFITS)
    _discounting(s, factor, f, "total_benefits", "total_costs", "net_flow", p=p)
    assert s.row == 1 + n_flow_rows, s.row
    s.row = scalar_row + 1
    s.skip("measures per beneficiary")
    s.refs = _measures(s, result.metrics, "sub1")
    return s


def _sub2_sheet(book: Book, p: dict, result, health: dict) -> _Sheet:
    h = p["horizon_years"]
    f = model.sub2_flows(p)
    t = model._years(p)
    gain = model.sub2_value_gain(p) * model._growth(p["house_price_growth"], t)
    factor = model._discount_factors(p)
    s = _Sheet(book, "Sub2", h)
    n_flow_rows = 3 + len(model.SUB2_BENEFITS) + len(model.COSTS) + 3 + 6
    s.row = 1 + n_flow_rows + 1
    s.skip("derived per beneficiary")
    g1 = s.scalar(
        "gain1",
        "home value gain in year 1, Z - X (sub2_value_rule)",
        'IF(p_sub2_value_rule="works_plus_premium",p_sub2_value_factor*(p_sub2_subsidy+p_sub2_contribution'
        "+p_sub2_loan),(p_sub2_value_factor-1)*p_sub2_house_value_before)",
        float(np.ravel(model.sub2_value_gain(p))[0]),
        "money",
    )
    _loan_scalars(s, "sub2", p)
    scalar_row = s.row
    s.row = 1
    s.line(
        "value_without",
        "home value without project (information)",
        lambda c, y: f"p_sub2_house_value_before*(1+p_house_price_growth)^({y}-1)",
        f["value_without"],
    )
    s.line(
        "value_gain",
        "value gain, with minus without (information)",
        lambda c, y: f"{g1}*(1+p_house_price_growth)^({y}-1)",
        gain,
    )
    s.line(
        "value_with",
        "home value with project (information)",
        lambda c, y: f"{s.at('value_without', c)}+{s.at('value_gain', c)}",
        f["value_with"],
    )
    s.line(
        "imputed_rent_difference",
        "imputed rent, difference",
        lambda c, y: f"12*p_monthly_rent_yield*{s.at('value_gain', c)}",
        f["imputed_rent_difference"],
    )
    s.line(
        "asset_realisation_difference",
        "asset realisation, difference (last year)",
        lambda c, y: f"IF(AND({y}=p_horizon_years,p_terminal_value),{g1},0)",
        f["asset_realisation_difference"],
    )
    s.line(
        "asset_valuation_difference",
        "asset valuation, difference (last year)",
        lambda c, y: f"IF(AND({y}=p_horizon_years,p_terminal_value),{s.at('value_gain', c)}-{g1},0)",
        f["asset_valuation_difference"],
    )
    for k in model.HEALTH:
        s.line(
            k,
            HEALTH_LABELS[k] + ", growing with the CPI",
            lambda c, y, k=k: f"{health[k]['flow']}*(1+p_cpi_growth)^({y}-1)",
            f[k],
        )
    _costs(s, "sub2", f, "value_gain", p)
    _totals(s, f, model.SUB2_BENEFITS)
    _discounting(s, factor, f, "total_benefits", "total_costs", "net_flow", p=p)
    assert s.row == 1 + n_flow_rows, s.row
    s.row = scalar_row + 1
    s.skip("measures per beneficiary")
    s.refs = _measures(s, result.metrics, "sub2")
    return s


def _programme_sheet(book: Book, p: dict, result, s1: _Sheet, s2: _Sheet) -> _Sheet:
    h = p["horizon_years"]
    prog = result.tables["programme_cash_flow"]
    factor = model._discount_factors(p)
    s = _Sheet(book, "Programme", h)
    lines = {k: prog[k].to_numpy() for k in prog.columns if k != "year"}
    for k, sub in (("sub1", s1), ("sub2", s2)):
        for part in ("benefits", "costs"):
            s.line(
                f"{k}_{part}",
                f"{k} {part} (credits x per beneficiary)",
                lambda c, y, sub=sub, k=k, part=part: f"p_{k}_credits*{sub.ext_at('total_' + part, c)}",
                lines[f"{k}_{part}"],
            )
        lines[f"{k}_net"] = lines[f"{k}_benefits"] - lines[f"{k}_costs"]
        s.line(
            f"{k}_net",
            f"{k} net flow",
            lambda c, y, k=k: f"{s.at(k + '_benefits', c)}-{s.at(k + '_costs', c)}",
            lines[f"{k}_net"],
        )
    s.line(
        "total_benefits",
        "total benefits",
        lambda c, y: f"{s.at('sub1_benefits', c)}+{s.at('sub2_benefits', c)}",
        lines["total_benefits"],
    )
    s.line(
        "total_costs",
        "total costs",
        lambda c, y: f"{s.at('sub1_costs', c)}+{s.at('sub2_costs', c)}",
        lines["total_costs"],
    )
    s.line(
        "net_flow", "net flow", lambda c, y: f"{s.at('total_benefits', c)}-{s.at('total_costs', c)}", lines["net_flow"]
    )
    _discounting(s, factor, lines, "total_benefits", "total_costs", "net_flow", p=p)
    for k in SUBS:
        _at_prices(s, f"{k}_net", lines[f"{k}_net"] * model._deflator(p))
    for k in SUBS:
        s.line(
            f"{k}_disc_benefits",
            f"{k} discounted benefits",
            lambda c, y, k=k: f"{s.at(k + '_benefits', c)}*{s.at('discount_factor', c)}",
            lines[f"{k}_benefits"] * factor,
        )
        s.line(
            f"{k}_disc_costs",
            f"{k} discounted costs",
            lambda c, y, k=k: f"{s.at(k + '_costs', c)}*{s.at('discount_factor', c)}",
            lines[f"{k}_costs"] * factor,
        )
    s.skip()
    s.skip("measures of the programme")
    s.refs = {}
    for k in SUBS:
        s.refs[f"{k}_total"] = _measures(s, result.metrics, f"{k}_total", prefix=f"{k}_", net=f"{k}_net")
    s.refs["total"] = _measures(s, result.metrics, "total")
    return s


def calculation(book: Book, p: dict, result) -> None:
    """The Health, Sub1, Sub2, Programme and Revolving sheets, and the outputs."""
    health = _health_sheet(book, p)
    s1 = _sub1_sheet(book, p, result)
    s2 = _sub2_sheet(book, p, result, health)
    prog = _programme_sheet(book, p, result, s1, s2)
    rev = _revolving_sheet(book, p, result, {"sub1": s1, "sub2": s2})
    refs = {"sub1": s1.refs, "sub2": s2.refs, **prog.refs}
    m = result.metrics
    for name in ("sub1", "sub2", "sub1_total", "sub2_total", "total"):
        row, label = TABLA6[name]
        for meas in MEASURES:
            what, unit = MEASURE_LABELS[meas]
            scale = 0.01 if meas == "irr" else 1.0
            pub = book.published("peru", "tabla6", row, TABLA6_COLUMN[meas], scale=scale)
            key = f"{name}.{meas}"
            book.output(key, f"{what}, {label}", unit, f"={refs[name][meas]}", m[key], pub)
    hb = result.tables["health_benefits"].set_index("benefit")
    for k in model.HEALTH:
        row = k.replace("_", " ")
        pub = book.published("peru", "health", row, "USD per household a year")
        book.output(
            f"health.{k}",
            f"{HEALTH_LABELS[k]}: annual benefit per household",
            "USD a year",
            f"={health[k]['annual']}",
            m[f"health.{k}"],
            pub,
        )
        pub = book.published("peru", "health", row, "avoided per household a year")
        book.output(
            f"health.{k}_avoided",
            f"{HEALTH_LABELS[k]}: units avoided per household a year",
            "per year",
            f"={health[k]['avoided']}",
            float(hb.loc[k, "avoided_per_household"]),
            pub,
        )
    for k, formula in rev.items():
        row, col, scale = REVOLVING_PUBLISHED[k]
        unit = "USD" if "amount" in k else ("households" if k == "households" else "credits")
        label = f"revolving effect (efecto rotatorio): {k.replace('_', ' ')}"
        pub = book.published("peru", "revolving", row, col, scale=scale)
        book.output(f"revolving.{k}", label, unit, formula, m[f"revolving.{k}"], pub)


REVOLVING_PUBLISHED = {  # metric -> (published row, column, scale to the metric's unit)
    "sub1_extra_credits": ("Sub1 further credits", "credits", 1.0),
    "sub1_extra_amount": ("Sub1 further capital lent", "USD million", 1e6),
    "sub2_extra_credits": ("Sub2 further credits", "thousand credits", 1e3),
    "sub2_extra_amount": ("Sub2 further capital lent", "USD million", 1e6),
    "total_amount": ("capital lent in all", "USD million", 1e6),
    "households": ("households reached", "thousand households", 1e3),
}


def _per_usd(p: dict, k: str) -> np.ndarray:
    """Principal plus the relent share of interest collected in each loan year per USD 1 lent,
    over loan years 1..horizon (zero after the term), as :func:`model.revolving` sums it."""
    years = p[f"{k}_loan_years"]
    r = periodic_rate(p[f"{k}_loan_rate"], 12, p["loan_rate_convention"])
    s = amortization_schedule(1.0, r, 12 * years)
    share = p[f"{k}_revolving_interest_share"]
    out = np.zeros(p["horizon_years"])
    out[:years] = (s["principal"] + share * s["interest"]).to_numpy().reshape(years, 12).sum(axis=1)
    return out


def _revolving_sheet(book: Book, p: dict, result, subs: dict) -> dict:
    """Revolving effect: per subcomponent, the collection per USD 1 by loan year, the amount lent
    each year (year 1: credits x loan; then what was collected the year before), a triangular
    matrix of cohorts (cohort c lent in year c, collected in years c..c+term-1) and its column
    sums. Returns output name -> formula."""
    h = p["horizon_years"]
    rev = result.tables["revolving"]
    s = _Sheet(book, "Revolving", h)
    s.ws.write(0, 0, "year (for the per-USD row: year of the loan)", book.fmt("header"))
    out = {}
    for k in SUBS:
        sub = subs[k]
        rm, years = sub.ext_scalar("monthly_rate"), f"p_{k}_loan_years"
        s.skip(f"{k}: revolving effect")
        pay1 = s.scalar(
            f"{k}_pay1",
            "monthly instalment per USD 1 lent (unrounded)",
            f"PMT({rm},12*{years},-1)",
            float(
                model.level_payment(
                    1.0, periodic_rate(p[f"{k}_loan_rate"], 12, p["loan_rate_convention"]), 12 * p[f"{k}_loan_years"]
                )
            ),
            "number",
        )
        # balance after m payments: PV of the 12*years - m payments left
        s.line(
            f"{k}_per_usd",
            "collected for relending per USD 1, by loan year (principal + share x interest)",
            lambda c, y, k=k, years=years, rm=rm, pay1=pay1: (
                f"IF({y}<={years},(1-p_{k}_revolving_interest_share)*(PV({rm},12*{years}-12*({y}-1),-{pay1})"
                f"-PV({rm},12*{years}-12*{y},-{pay1}))+p_{k}_revolving_interest_share*12*{pay1},0)"
            ),
            _per_usd(p, k),
            "number",
        )
        lent_r = s.row
        s.ws.write(lent_r, 0, "lent (year 1: credits x loan; then collected the year before)")
        lent = rev[f"{k}_lent"].to_numpy()
        s.rows[f"{k}_lent"] = lent_r
        s.row += 1
        s.line(
            f"{k}_credits",
            "credits (lent / loan)",
            lambda c, y, k=k, r=lent_r: f"{cell(r, c)}/p_{k}_loan",
            rev[f"{k}_credits"],
        )
        coll_r = s.row
        s.row += 1
        per = _per_usd(p, k)
        first = s.row
        for c0 in range(1, h + 1):  # cohort lent in year c0: cells from year c0 on
            s.ws.write(s.row, 0, f"cohort lent in year {c0}: collected")
            yc = f"${col_letter(c0)}$1"
            for t in range(c0, h + 1):
                y = f"{col_letter(t)}$1"
                f = (
                    f"=IF({y}-{yc}<{years},{cell(lent_r, c0, absolute=True)}"
                    f"*INDEX({s.span(k + '_per_usd')},{y}-{yc}+1),0)"
                )
                book.formula(s.ws, s.row, t, f, float(lent[c0 - 1] * per[t - c0]), "money")
            s.row += 1
        s.ws.write(coll_r, 0, "collected for relending (sum of the cohorts)")
        for t in range(1, h + 1):
            book.formula(
                s.ws,
                coll_r,
                t,
                f"=SUM({cell(first, t)}:{cell(s.row - 1, t)})",
                float(rev[f"{k}_collected_for_relending"].iloc[t - 1]),
                "money",
            )
            book.formula(
                s.ws,
                lent_r,
                t,
                f"=p_{k}_credits*p_{k}_loan" if t == 1 else f"={cell(coll_r, t - 1)}",
                float(lent[t - 1]),
                "money",
            )
        s.rows[f"{k}_collected"] = coll_r
        s.skip()
        span = lambda key: f"'Revolving'!{cell(s.rows[key], 2, True)}:{cell(s.rows[key], h, True)}"  # noqa: E731
        out[f"{k}_extra_credits"] = f"=SUM({span(k + '_credits')})"
        out[f"{k}_extra_amount"] = f"=SUM({span(k + '_lent')})"
    out["total_amount"] = f"=SUM({s.ext('sub1_lent')})+SUM({s.ext('sub2_lent')})"
    out["households"] = f"=SUM({s.ext('sub1_credits')})+SUM({s.ext('sub2_credits')})"
    return out
