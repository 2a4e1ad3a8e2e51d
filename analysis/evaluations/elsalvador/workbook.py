"""El Salvador as live formulas: the recovery by disbursement (Tabla 3) and the 35-period cash flow
(Tabla 5), one formula across each row, from the named inputs of the Inputs sheet."""

from __future__ import annotations

import numpy as np

from ...core.finance import annual_debt_service, discount_factors, periodic_rate
from ...core.sheets import Book, cell
from . import model

# Parameters that set the layout (rows and columns): a new workbook is needed to change them.
STRUCTURAL = ("horizon_periods", "disbursements", "term_mix", "slip_disbursements", "slip_term_years")

CONSTANTS: dict = {}  # numbers typed into formulas besides unit conversions (none)

MONTHLY_RATE = 'IF(p_rate_convention="nominal",p_annual_interest_rate/12,(1+p_annual_interest_rate)^(1/12)-1)'


# The flows whose present values are outputs: (metric after "pv_", label, row of the Flow sheet).
PRESENT_VALUES = (
    ("imputed_rent", "imputed rent net of payments, with the residual value (benefit 1)", 5),
    ("value_added_new", "value added of new homes (benefit 2)", 6),
    ("value_added_used", "value added of used homes (benefit 3)", 7),
    ("investment", "investment (the disbursements)", 8),
    ("credit_recovery", "credit recovery", 4),
    ("default_cost", "default cost (mora)", 9),
)


def _recovery_by_term(p: dict) -> dict:
    """(disbursement, term) -> yearly recovery over periods 1..horizon, as the sheet computes it."""
    periods = np.arange(1, p["horizon_periods"] + 1)
    out = {}
    for i, amount in enumerate(p["disbursements"], start=1):
        for term, share in p["term_mix"].items():
            pay = annual_debt_service(amount * share, p["annual_interest_rate"], term, 12, p["rate_convention"])
            last = i + term + model._extra(p, i, term)
            out[(i, term)] = pay * ((periods > i) & (periods <= last)) * p["recovery_share"]
    return out


def _recovery_sheet(book: Book, p: dict):
    """Recovery by disbursement and term: row (i, k) is disbursement i lent at the k-th term of the
    mix, repaid in 12 level instalments a year from period i + 1 to i + term (+1 where the slip
    applies), times the recovered share; a total row per disbursement and one for all."""
    ws = book.sheet("Recovery")
    h = p["horizon_periods"]
    ws.write_row(0, 0, ["disbursement", "term k", "term (years)", "extra payment"], book.fmt("header"))
    ws.write_row(0, 4, list(range(1, h + 1)), book.fmt("header"))
    ws.write(0, 4 + h, "monthly rate")
    rate = periodic_rate(p["annual_interest_rate"], 12, p["rate_convention"])
    book.formula(ws, 1, 4 + h, f"={MONTHLY_RATE}", rate, "number")
    rm = cell(1, 4 + h, absolute=True)
    row, totals = 1, []
    flows = _recovery_by_term(p)
    for i in range(1, len(p["disbursements"]) + 1):
        first = row
        for k, term in enumerate(p["term_mix"], start=1):
            ws.write(row, 0, i)
            ws.write(row, 1, k)
            book.formula(ws, row, 2, f"=INDEX(p_term_mix_terms,{cell(row, 1)})", term)
            extra = model._extra(p, i, term)
            book.formula(
                ws,
                row,
                3,
                f"=IF(AND(COUNTIF(p_slip_disbursements,{cell(row, 0)})>0,"
                f"COUNTIF(p_slip_term_years,{cell(row, 2)})>0),1,0)",
                extra,
            )
            for t in range(1, h + 1):
                c = 4 + t - 1
                period = cell(0, c)
                amount = f"INDEX(p_disbursements,{cell(row, 0)})"
                share = f"INDEX(p_term_mix_shares,{cell(row, 1)})"
                f = (
                    f"=IF(AND({period}>{cell(row, 0)},{period}<={cell(row, 0)}+{cell(row, 2)}+{cell(row, 3)}),"
                    f"12*PMT({rm},12*{cell(row, 2)},-{amount}*{share}),0)*p_recovery_share"
                )
                book.formula(ws, row, c, f, flows[(i, term)][t - 1], "money")
            row += 1
        ws.write(row, 0, f"total {i}")
        for t in range(1, h + 1):
            c = 4 + t - 1
            value = sum(flows[(i, term)][t - 1] for term in p["term_mix"])
            book.formula(ws, row, c, f"=SUM({cell(first, c)}:{cell(row - 1, c)})", value, "money")
        totals.append(row)
        row += 1
    ws.write(row, 0, "total")
    for t in range(1, h + 1):
        c = 4 + t - 1
        value = sum(v[t - 1] for v in flows.values())
        book.formula(ws, row, c, "=" + "+".join(cell(r, c) for r in totals), value, "money")
    ws.freeze_panes(1, 4)
    return ws, row


def calculation(book: Book, p: dict, result) -> None:
    """The Recovery and Flow sheets, and the outputs: NPV (VNA), IRR (TIR) over the IRR's periods
    and over all, and the present value of each flow."""
    rec_ws, total_row = _recovery_sheet(book, p)
    h = p["horizon_periods"]
    cf = result.tables["cash_flow"]
    ws = book.sheet("Flow")
    ws.set_column(0, 0, 34)
    ws.write(0, 0, "period", book.fmt("header"))
    ws.write_row(0, 1, list(range(1, h + 1)), book.fmt("header"))
    labels = [
        ("disbursement", "investment"),
        ("new homes bought before (stock)", None),
        ("credit recovery", "credit_recovery"),
        ("imputed rent net of payments, + residual value (benefit 1)", "imputed_rent"),
        ("value added, new homes (benefit 2)", "value_added_new"),
        ("value added, used homes (benefit 3)", "value_added_used"),
        ("investment", "investment"),
        ("default cost (mora)", "default_cost"),
        ("net flow", "net_flow"),
        ("discount factor", None),
        ("discounted net flow", "discounted_net_flow"),
        ("net flow counted in the IRR", None),
    ]
    for r, (label, _) in enumerate(labels, start=1):
        ws.write(r, 0, label)
    disb = np.zeros(h)
    disb[: len(p["disbursements"])] = p["disbursements"]
    stock = np.concatenate(([0.0], np.cumsum(disb)[:-1]))
    factor = discount_factors(p["discount_rate"], h, p["discount_first_period"])
    n_disb = "COUNT(p_disbursements)"  # not a typed number: the list sets it
    for t in range(1, h + 1):
        c = t
        col = cell(0, c)
        d, stock_, rec = cell(1, c), cell(2, c), cell(3, c)
        # 1 disbursement: the t-th input while there is one
        book.formula(
            ws, 1, c, f"=IF({col}<={n_disb},INDEX(p_disbursements,MIN({col},{n_disb})),0)", disb[t - 1], "money"
        )
        book.formula(ws, 2, c, "=0" if t == 1 else f"={cell(2, c - 1)}+{cell(1, c - 1)}", stock[t - 1], "money")
        rec_ref = f"'{rec_ws.get_name()}'!{cell(total_row, 4 + t - 1)}"
        book.formula(ws, 3, c, f"={rec_ref}", cf["credit_recovery"].iloc[t - 1], "money")
        b1 = (
            f"=p_new_home_share*p_rent_to_price*{stock_}-p_new_home_share*{rec}"
            f"+IF({col}=p_horizon_periods,p_residual_share*p_new_home_share*SUM(p_disbursements),0)"
        )
        book.formula(ws, 4, c, b1, cf["imputed_rent"].iloc[t - 1], "money")
        b2 = (
            f"=p_new_home_share*{d}*(p_construction_weight*p_value_added_construction"
            f"+(1-p_construction_weight)*p_value_added_intermediation)"
        )
        book.formula(ws, 5, c, b2, cf["value_added_new"].iloc[t - 1], "money")
        b3 = f"=(1-p_new_home_share)*{d}*(1-p_construction_weight)*p_value_added_intermediation"
        book.formula(ws, 6, c, b3, cf["value_added_used"].iloc[t - 1], "money")
        book.formula(ws, 7, c, f"=-{d}", cf["investment"].iloc[t - 1], "money")
        book.formula(ws, 8, c, f"=-p_default_rate*{rec}", cf["default_cost"].iloc[t - 1], "money")
        net = f"={cell(4, c)}+{cell(5, c)}+{cell(6, c)}+{cell(7, c)}+{rec}+{cell(8, c)}"
        book.formula(ws, 9, c, net, cf["net_flow"].iloc[t - 1], "money")
        book.formula(ws, 10, c, f"=(1+p_discount_rate)^-({col}-1+p_discount_first_period)", factor[t - 1], "number")
        book.formula(ws, 11, c, f"={cell(9, c)}*{cell(10, c)}", cf["discounted_net_flow"].iloc[t - 1], "money")
        in_irr = cf["net_flow"].iloc[t - 1] if t <= p["irr_last_period"] else 0.0
        book.formula(ws, 12, c, f"=IF({col}<=p_irr_last_period,{cell(9, c)},0)", in_irr, "money")
    ws.freeze_panes(1, 1)
    last = cell(0, h)[:-1]
    m = result.metrics
    flow = f"'{ws.get_name()}'"
    npv_pub = book.published("elsalvador", "Tabla 6", book.scenario, "npv")
    irr_pub = book.published("elsalvador", "Tabla 6", book.scenario, "irr_percent", scale=0.01)
    book.output("npv", "net present value (VNA)", "USD", f"=SUM({flow}!B12:{last}12)", m["npv"], npv_pub)
    # Trailing zeros do not change an IRR: the periods after irr_last_period count as 0.
    book.output("irr", "internal rate of return (TIR)", "per year", f"=IRR({flow}!B13:{last}13)", m["irr"], irr_pub)
    book.output(
        "irr_all_periods",
        "internal rate of return over every period (TIR)",
        "per year",
        f"=IRR({flow}!B10:{last}10)",
        m["irr_all_periods"],
    )
    # The present value of each flow row, discounted by the sheet's discount-factor row (11).
    for key, label, row in PRESENT_VALUES:
        pv = f"=SUMPRODUCT({flow}!B{row}:{last}{row},{flow}!B11:{last}11)"
        book.output(f"pv_{key}", f"present value of the {label}", "USD", pv, m[f"pv_{key}"])
