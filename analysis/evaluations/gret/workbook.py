"""ACT-GRET as live formulas: the macro table, the investment schedule, the savings of every
generation with the sheet's conventions, sources / uses / subsidies / balance (3.1-3.2), the
treasury of one generation (3.3), the financing need, the two loans of the test generation with
their schedules, the effort rate by income and section 1.6's payment table, one formula across
each row, from the named inputs of the Inputs sheet.

The conventions (``savings_interest``, ``generation2_spread_interest``,
``display_rounded_generations``, ``first_year_topup``, ``refund_topup_year`` and the four choices
of table 3.3) are IF()s on their input cells: the layout is the same for every choice. So are the
saving years and the test generation (INDEX into the generation tables).
"""

from __future__ import annotations

import numpy as np

from ...core.sheets import Book, cell, col_letter
from . import model

# Parameters that set the layout (rows and columns): a new workbook is needed to change them.
# years_between is the term of both loans (the schedules' length, the treasury's repayment years).
STRUCTURAL = ("horizon_years", "years_between", "incomes", "intro_rates", "intro_years")

# Numbers typed into formulas besides unit conversions: the sheet's fixed schedule, which the
# model also fixes (they are not parameters): number -> why.
CONSTANTS = {
    2: "the land is paid in two halves, in a generation's years n and n+1; the core is built in n+2",
    3: "table 3.3 counts a generation's years from 1: its core year is year 3",
    4: "table 3.3: loan 1 is repaid from the year after the core, year 4",
}

F = "(1+p_inflation)"  # the yearly price index (índice 1)
UNIT_COST = "(p_land_cost+p_core_cost+p_materials_cost)"
COMPOUND = 'p_savings_interest="compound"'


def _share(k: str) -> str:
    """Share of the origin value spent in relative year ``k`` (an expression): land in halves in
    k = 0, 1, core in k = 2, materials in k = 2 + x."""
    return (
        f"IF(AND({k}>=0,{k}<=2+p_years_between),(IF({k}<=1,p_land_cost/2,0)+IF({k}=2,p_core_cost,0)"
        f"+IF({k}=2+p_years_between,p_materials_cost,0))/{UNIT_COST},0)"
    )


def _rng(ws, row: int, c0: int, c1: int) -> str:
    """An absolute row range of ``ws`` for use from another sheet."""
    return f"'{ws.get_name()}'!{cell(row, c0, True)}:{cell(row, c1, True)}"


def _macro(book: Book, p: dict, result) -> None:
    ws = book.sheet("Macro")
    h = p["horizon_years"]
    mt = result.tables["macro"]
    ws.set_column(0, 0, 34)
    ws.write(0, 0, "year", book.fmt("header"))
    ws.write_row(0, 1, list(range(1, h + 1)), book.fmt("header"))
    rows = [
        ("inflation factor (índice 1)", "inflation_factor", "=1+p_inflation", "ratio"),
        ("savings rate (índice 2: inflation + x)", "savings_rate", "=p_inflation+p_savings_spread", "percent"),
        ("organisation's credit rate (índice 3)", "credit_rate", "=p_inflation+p_credit_spread", "percent"),
        ("loan rate to families (índice 4)", "loan_rate", "=p_inflation+p_loan_spread", "percent"),
        ("production growth (índice 5)", "production_growth", None, "percent"),
    ]
    for r, (label, key, f, fmt) in enumerate(rows, start=1):
        ws.write(r, 0, label)
        for t in range(1, h + 1):
            formula = f or f"=IF({cell(0, t)}<=p_growth_years,p_production_growth,0)"
            book.formula(ws, r, t, formula, float(mt[key].iloc[t - 1]), fmt)
    ws.freeze_panes(1, 1)


def _investment(book: Book, p: dict, result):
    """Table 2: rows generation g, columns calendar years; cell = C_g x share(t - g) x f^(t - g)."""
    ws = book.sheet("Investment")
    h = p["horizon_years"]
    inv = result.tables["investment"]
    ws.write_row(0, 0, ["generation", "unit cost (k$)", "units", "commitment C_g (k$)"], book.fmt("header"))
    ws.write_row(0, 4, list(range(1, h + 1)), book.fmt("header"))
    ws.set_column(0, 3, 14)
    for g in range(1, h + 1):
        r = g
        row = inv.iloc[g - 1]
        ws.write(r, 0, g)
        gc = cell(r, 0)
        book.formula(ws, r, 1, f"={UNIT_COST}*{F}^({gc}-1)", float(row["unit_cost"]), "money")
        book.formula(ws, r, 2, f"=p_units*(1+p_production_growth)^MIN({gc}-1,p_growth_years)", float(row["units"]))
        book.formula(ws, r, 3, f"={cell(r, 1)}*{cell(r, 2)}", float(row["commitment"]), "money")
        for t in range(1, h + 1):
            c = 4 + t - 1
            k = f"({col_letter(c)}$1-$A{r + 1})"
            book.formula(ws, r, c, f"=$D{r + 1}*{_share(k)}*{F}^{k}", float(row[t]), "money")
    ws.freeze_panes(1, 4)
    return ws


# --- savings (3.1 A) ---------------------------------------------------------------------------

SAV_ROWS = (
    "deposit, borrowers (cat. 1)",
    "deposit, solidarity savers (cat. 2)",
    "interest, cat. 1 (compound)",
    "interest, cat. 2 (compound)",
    "balance, cat. 1 (compound)",
    "balance, cat. 2 (compound)",
    "savings cell (3.1 A)",
)
GEN_COLS = (
    "generation",
    "commitment C_g",
    "start (first saving year, may be < 1)",
    "first saving year",
    "last borrower saving year",
    "last solidarity saving year",
    "first-year top-up",
    "cat.-1 period rate",
    "solidarity weight w2",
    "savings up to the last borrower year",
    "basis, borrowers",
    "basis, solidarity",
    "transfer to the operation (u1)",
    "transfer year (core)",
    "refund to solidarity savers (u2; 0 after the horizon)",
    "refund year",
    "subsidy (3.2)",
)


def _gen_helpers(p: dict, g: int, ncols: int) -> dict:
    """Per-generation quantities and the helper rows of the savings block (years 0..ncols-1), as
    the sheet's formulas compute them; the savings cells themselves come from the model."""
    n1, n2 = p["borrower_saving_years"], p["solidarity_saving_years"]
    f, r = 1 + p["inflation"], p["inflation"] + p["savings_spread"]
    c1, c2 = p["borrower_savings_rate"], p["solidarity_savings_rate"]
    c_g = float(model.origin_value(p)[g - 1])
    start = g + 2 - n1
    first, last1, last2 = max(start, 1), g + 1, start + n2 - 1
    topup = 1 + first - start if p["first_year_topup"] else 1
    rho1 = p["savings_spread"] if (g == 2 and p["generation2_spread_interest"]) else r
    rows = np.zeros((6, ncols))
    b1 = b2 = 0.0
    for t in range(1, ncols):
        on = first <= t <= last2
        mult = (f ** (t - first) * (topup if t == first else 1)) if on else 0.0
        d1 = c1 * c_g * mult * (t <= last1)
        d2 = c2 * c_g * mult
        i1 = rho1 * b1 if on and t <= last1 else 0.0
        i2 = (rho1 if t <= last1 else r) * b2 if on else 0.0
        b1, b2 = b1 + d1 + i1, b2 + d2 + i2
        rows[:, t] = (d1, d2, i1, i2, b1, b2)
    return {
        "c_g": c_g,
        "start": start,
        "first": first,
        "last1": last1,
        "last2": last2,
        "topup": topup,
        "rho1": rho1,
        "w2": c2 / (c1 + c2),
        "rows": rows,
    }


def _savings(book: Book, p: dict, result, inv_ws):
    """The Savings sheet (one block of rows per generation, years 0..H+2) and the Generations
    sheet (per generation: the saving years, the bases, the transfer, the refund, the subsidy)."""
    h = p["horizon_years"]
    ncols = h + 3  # years 0 .. H+2: the transfer of the last generation falls in H+2
    gens = model.savings_tables(p)["generations"]
    sv = book.sheet("Savings")
    gw = book.sheet("Generations")
    sv.write_row(0, 0, ["generation", "row"], book.fmt("header"))
    sv.write_row(0, 2, list(range(0, ncols)), book.fmt("header"))
    sv.set_column(1, 1, 34)
    gw.write_row(0, 0, list(GEN_COLS), book.fmt("header"))
    gw.set_column(0, len(GEN_COLS), 14)
    hdr = f"{cell(0, 2, True)}:{cell(0, 2 + ncols - 1, True)}"
    hdr_x = f"'Savings'!{hdr}"
    nrow = len(SAV_ROWS)
    cell_rows = {}
    for g in range(1, h + 1):
        s, hp = gens[g], _gen_helpers(p, g, ncols)
        base = 1 + (g - 1) * nrow
        gr = g  # row on the Generations sheet
        G = {name: f"'Generations'!{cell(gr, i, True)}" for i, name in enumerate(GEN_COLS)}
        # --- Generations: the quantities the block uses
        gw.write(gr, 0, g)
        gref = cell(gr, 0)
        book.formula(gw, gr, 1, f"={book.ref(inv_ws, g, 3)}", hp["c_g"], "money")
        book.formula(gw, gr, 2, f"={gref}+2-p_borrower_saving_years", hp["start"])
        book.formula(gw, gr, 3, f"=MAX({cell(gr, 2)},1)", hp["first"])
        book.formula(gw, gr, 4, f"={gref}+1", hp["last1"])
        book.formula(gw, gr, 5, f"={cell(gr, 2)}+p_solidarity_saving_years-1", hp["last2"])
        book.formula(gw, gr, 6, f"=IF(p_first_year_topup,1+{cell(gr, 3)}-{cell(gr, 2)},1)", hp["topup"])
        book.formula(
            gw,
            gr,
            7,
            f"=IF(AND({gref}=2,p_generation2_spread_interest),p_savings_spread,p_inflation+p_savings_spread)",
            hp["rho1"],
            "percent",
        )
        book.formula(
            gw, gr, 8, "=p_solidarity_savings_rate/(p_borrower_savings_rate+p_solidarity_savings_rate)", hp["w2"]
        )
        # --- Savings block
        for i, label in enumerate(SAV_ROWS):
            sv.write(base + i, 0, g)
            sv.write(base + i, 1, label)
            sv.write_number(base + i, 2, 0.0)  # year 0: nothing saved yet
        cells = np.zeros(ncols)
        for t, v in s["cells"].items():
            if t < ncols:
                cells[t] = float(v)
        first, last1, last2 = G["first saving year"], G["last borrower saving year"], G["last solidarity saving year"]
        topup, rho1, c_g = G["first-year top-up"], G["cat.-1 period rate"], G["commitment C_g"]
        for t in range(1, ncols):
            c = 2 + t
            yr = f"{col_letter(c)}$1"
            on = f"AND({yr}>={first},{yr}<={last2})"
            on1 = f"AND({yr}>={first},{yr}<={last2},{yr}<={last1})"
            mult = f"{F}^({yr}-{first})*IF({yr}={first},{topup},1)"
            d1, d2, i1, i2, b1, b2, ce = (cell(base + i, c) for i in range(nrow))
            pd1, pd2, pi1, pi2, pb1, pb2, pce = (cell(base + i, c - 1) for i in range(nrow))
            vals = hp["rows"][:, t]
            book.formula(sv, base, c, f"=IF({on1},p_borrower_savings_rate*{c_g}*{mult},0)", vals[0], "money")
            book.formula(sv, base + 1, c, f"=IF({on},p_solidarity_savings_rate*{c_g}*{mult},0)", vals[1], "money")
            book.formula(sv, base + 2, c, f"=IF({on1},{rho1}*{pb1},0)", vals[2], "money")
            book.formula(
                sv,
                base + 3,
                c,
                f"=IF({on},IF({yr}<={last1},{rho1},p_inflation+p_savings_spread)*{pb2},0)",
                vals[3],
                "money",
            )
            book.formula(sv, base + 4, c, f"={pb1}+{d1}+{i1}", vals[4], "money")
            book.formula(sv, base + 5, c, f"={pb2}+{d2}+{i2}", vals[5], "money")
            flow = (
                f"{d1}+{d2}+IF({yr}>{first},IF({yr}<={last1},{rho1},"
                f"IF({yr}={last1}+1,0,p_inflation+p_savings_spread))*{pce},0)"
            )
            f_cell = (
                f"=IF({on},IF({COMPOUND},{d1}+{d2}+{i1}+{i2},"
                f"IF($A{base + 7}<=p_display_rounded_generations,ROUND({flow},1),{flow})),0)"
            )
            book.formula(sv, base + 6, c, f_cell, cells[t], "money")
        cell_rows[g] = base + 6
        crow = _rng(sv, base + 6, 2, 2 + ncols - 1)
        b1row = _rng(sv, base + 4, 2, 2 + ncols - 1)
        b2row = _rng(sv, base + 5, 2, 2 + ncols - 1)
        # --- Generations: what the block gives
        e, fcol, w2, ssum = cell(gr, 4), cell(gr, 5), cell(gr, 8), cell(gr, 9)
        total_s = float(cells[: s["transfer_year"]].sum())  # cells up to last1 = g + 1
        book.formula(gw, gr, 9, f'=SUMIF({hdr_x},"<="&{e},{crow})', total_s, "money")
        book.formula(
            gw, gr, 10, f"=IF({COMPOUND},SUMIF({hdr_x},{e},{b1row}),(1-{w2})*{ssum})", s["basis_borrowers"], "money"
        )
        book.formula(
            gw, gr, 11, f"=IF({COMPOUND},SUMIF({hdr_x},{e},{b2row}),{w2}*{ssum})", s["basis_solidarity"], "money"
        )
        book.formula(gw, gr, 12, f"={cell(gr, 10)}", s["transfer"], "money")
        book.formula(gw, gr, 13, f"={gref}+2", s["transfer_year"])
        refund = (
            f"=IF({cell(gr, 15)}<=p_horizon_years,IF({COMPOUND},SUMIF({hdr_x},{fcol},{b2row}),"
            f'{cell(gr, 11)}+SUMIF({hdr_x},">"&{e},{crow}))'
            f"-IF(AND({cell(gr, 6)}>1,NOT(p_refund_topup_year)),{w2}*IF({COMPOUND},"
            f"(p_borrower_savings_rate+p_solidarity_savings_rate)*{cell(gr, 1)}*{cell(gr, 6)},"
            f"SUMIF({hdr_x},{cell(gr, 3)},{crow})),0),0)"
        )
        book.formula(gw, gr, 14, refund, s["refund"] if s["refund_year"] <= h else 0.0, "money")
        book.formula(gw, gr, 15, f"={fcol}+1", s["refund_year"])
        book.formula(
            gw,
            gr,
            16,
            f"=p_subsidy_to_savings_ratio*({cell(gr, 10)}+{cell(gr, 11)})",
            p["subsidy_to_savings_ratio"] * (s["basis_borrowers"] + s["basis_solidarity"]),
            "money",
        )
    sv.freeze_panes(1, 3)
    gw.freeze_panes(1, 1)
    return sv, gw, cell_rows


def _year_tables(book: Book, p: dict, result, sv, cell_rows):
    """3.1 A sources, B uses, 3.2 subsidies (generation x year) and the balance (3.1 C)."""
    h = p["horizon_years"]
    out = {}
    gen_col = {"transfer": 12, "transfer_year": 13, "refund": 14, "refund_year": 15, "subsidy": 16}

    def gref(g, name):
        return f"'Generations'!{cell(g, gen_col[name], True)}"

    specs = {
        "Sources": ("sources", lambda g, c, t: f"='Savings'!{cell(cell_rows[g], 2 + t)}"),
        "Uses": (
            "uses",
            lambda g, c, t: (
                f"=IF({col_letter(c)}$1={gref(g, 'transfer_year')},-{gref(g, 'transfer')},0)"
                f"+IF({col_letter(c)}$1={gref(g, 'refund_year')},-{gref(g, 'refund')},0)"
            ),
        ),
        "Subsidies": (
            "subsidies",
            lambda g, c, t: f"=IF({col_letter(c)}$1={gref(g, 'transfer_year')},{gref(g, 'subsidy')},0)",
        ),
    }
    for name, (key, formula) in specs.items():
        ws = book.sheet(name)
        tab = result.tables[key]
        ws.write(0, 0, "generation", book.fmt("header"))
        ws.write_row(0, 1, list(range(1, h + 1)), book.fmt("header"))
        for g in range(1, h + 1):
            ws.write(g, 0, g)
            for t in range(1, h + 1):
                book.formula(ws, g, t, formula(g, t, t), float(tab[t].iloc[g - 1]), "money")
        ws.freeze_panes(1, 1)
        out[name] = ws
    ws = book.sheet("Balance")
    tot = result.tables["totals"]
    ws.set_column(0, 0, 30)
    ws.write(0, 0, "year", book.fmt("header"))
    ws.write_row(0, 1, list(range(1, h + 1)), book.fmt("header"))
    labels = [
        ("sources (3.1 A)", "sources"),
        ("sources, cumulative", "sources_cum"),
        ("uses (3.1 B)", "uses"),
        ("uses, cumulative", "uses_cum"),
        ("balance (3.1 C)", "balance"),
        ("balance, cumulative", "balance_cum"),
        ("subsidy (3.2)", "subsidy"),
        ("subsidy, cumulative", "subsidy_cum"),
    ]
    for r, (label, key) in enumerate(labels, start=1):
        ws.write(r, 0, label)
        for t in range(1, h + 1):
            L = col_letter(t)
            f = {
                "sources": f"=SUM('Sources'!{L}2:{L}{h + 1})",
                "uses": f"=SUM('Uses'!{L}2:{L}{h + 1})",
                "subsidy": f"=SUM('Subsidies'!{L}2:{L}{h + 1})",
                "balance": f"={L}2+{L}4",
            }.get(key) or f"=SUM($B{r}:{L}{r})"
            book.formula(ws, r, t, f, float(tot[key].iloc[t - 1]), "money")
    ws.freeze_panes(1, 1)
    out["Balance"] = ws
    return out


# --- treasury (3.3) ----------------------------------------------------------------------------

TREASURY_ROWS = (
    ("price index f^(j-1)", None),
    ("investment (%)", "investment"),
    ("investment, cumulative", "investment_cum"),
    ("investment x price", None),
    ("investment, inflated cumulative", "investment_inflated"),
    ("savings cat. 1", "savings1"),
    ("savings cat. 1, cumulative", "savings1_cum"),
    ("deposits cat. 2", None),
    ("savings cat. 2 (refund the year after the last deposit)", "savings2"),
    ("savings cat. 2, cumulative", "savings2_cum"),
    ("subsidy (core year, on savings so far)", "subsidy"),
    ("subsidy, cumulative", "subsidy_cum"),
    ("financing", "financing"),
    ("financing flow, inflated", None),
    ("financing, inflated cumulative", "financing_inflated"),
    ("difference", "difference"),
    ("difference, inflated", "difference_inflated"),
    ("loan-1 repayment (reembolso del 1° crédito)", "loan1_repayment"),
    ("loan-1 repayment, cumulative", "loan1_repayment_cum"),
    ("loan 2", "loan2"),
    ("loan-2 repayment", "loan2_repayment"),
    ("loan-2 repayment, cumulative", None),
    ("to finance (a financiar)", "to_finance"),
    ("savings cat. 1 x price", None),
    ("deposits cat. 2 x price", None),
)


def _treasury(book: Book, p: dict, result):
    """Table 3.3 in % of the generation's origin value, relative years j = 1..H, with the
    'recordar' line and the choice parameters as IF()s."""
    ws = book.sheet("Treasury")
    h = p["horizon_years"]
    tr = result.tables["treasury"]
    rec = tr.attrs["recordar"]
    ws.set_column(0, 0, 44)
    ws.write(0, 0, "relative year j", book.fmt("header"))
    ws.write_row(0, 1, list(range(1, h + 1)), book.fmt("header"))
    R = {key or label: i + 1 for i, (label, key) in enumerate(TREASURY_ROWS)}
    for label, key in TREASURY_ROWS:
        ws.write(R[key or label], 0, label)
    # the 'recordar' block and the choices, below the table
    top = len(TREASURY_ROWS) + 2
    f, n1, n2 = 1 + p["inflation"], p["borrower_saving_years"], p["solidarity_saving_years"]
    j = np.arange(1, h + 1)
    price = f ** (j - 1.0)
    s1 = tr["savings1"].to_numpy()
    d2 = np.where(j <= n2, 100 * p["solidarity_savings_rate"], 0.0)
    ratio = p["subsidy_to_savings_ratio"]
    inflated_savings = float(((s1 + d2) * price)[j <= n1].sum())  # while the borrowers save
    refund_price = f ** (n2 - 1) if p["treasury_refund_price"] == "last_deposit" else f**n2
    sub_nominal = tr["subsidy"].iloc[2] * f**2 if p["treasury_subsidy"] == "origin_share" else ratio * inflated_savings
    rate = p["loan_spread"] if p["treasury_loan_rate"] == "spread" else p["inflation"] + p["loan_spread"]
    hdr = f"$B$1:{cell(0, h, True)}"

    def row(key):
        return f"$B${R[key] + 1}:{cell(R[key], h, True)}"

    side = [
        (
            "investment, inflated, to the core (recordar)",
            f'=SUMIF({hdr},"<=3",{row("investment x price")})',
            rec["investment_inflated"],
        ),
        (
            "savings cat. 1, inflated, to the core (recordar)",
            f'=SUMIF({hdr},"<="&p_borrower_saving_years,{row("savings cat. 1 x price")})',
            rec["savings1_inflated"],
        ),
        (
            "savings of both categories, inflated, while the borrowers save",
            f'=SUMIF({hdr},"<="&p_borrower_saving_years,{row("savings cat. 1 x price")})'
            f'+SUMIF({hdr},"<="&p_borrower_saving_years,{row("deposits cat. 2 x price")})',
            inflated_savings,
        ),
        ("subsidy on the inflated savings (recordar)", f"=p_subsidy_to_savings_ratio*B{top + 3}", rec["subsidy"]),
        ("loan 1 (recordar)", f"=MAX(B{top + 1}-B{top + 2}-B{top + 4},0)", rec["loan1"]),
        (
            "price of the solidarity refund",
            f'=IF(p_treasury_refund_price="last_deposit",{F}^(p_solidarity_saving_years-1),{F}^p_solidarity_saving_years)',
            refund_price,
        ),
        (
            "subsidy booked in the core year, priced",
            f'=IF(p_treasury_subsidy="origin_share",SUMIF({hdr},3,{row("subsidy")})*{F}^2,B{top + 4})',
            sub_nominal,
        ),
        ("rate of the repayments", '=IF(p_treasury_loan_rate="spread",p_loan_spread,p_inflation+p_loan_spread)', rate),
        ("loan 2", f"=SUMIF({hdr},3+p_years_between,{row('loan2')})", float(tr["loan2"].sum())),
    ]
    for i, (label, formula, value) in enumerate(side):
        ws.write(top + i, 0, label)
        book.formula(ws, top + i, 1, formula, float(value), "ratio")
    loan1, rfp, subn, rt, loan2 = (f"$B${top + i + 1}" for i in (4, 5, 6, 7, 8))
    helper = {
        "price index f^(j-1)": price,
        "investment x price": tr["investment"].to_numpy() * price,
        "deposits cat. 2": d2,
        "financing flow, inflated": np.diff(tr["financing_inflated"].to_numpy(), prepend=0.0),
        "loan-2 repayment, cumulative": tr["loan2_repayment"].cumsum().to_numpy(),
        "savings cat. 1 x price": s1 * price,
        "deposits cat. 2 x price": d2 * price,
    }
    for t in range(1, h + 1):
        L = col_letter(t)
        jj = f"{L}$1"

        def r(key, L=L):
            return f"{L}{R[key] + 1}"

        def cum(key, L=L):
            return f"=SUM($B{R[key] + 1}:{L}{R[key] + 1})"

        fs = {
            "price index f^(j-1)": f"={F}^({jj}-1)",
            "investment": f"=100*{_share(f'({jj}-1)')}",
            "investment_cum": cum("investment"),
            "investment x price": f"={r('investment')}*{r('price index f^(j-1)')}",
            "investment_inflated": cum("investment x price"),
            "savings1": f"=IF({jj}<=p_borrower_saving_years,100*p_borrower_savings_rate,0)",
            "savings1_cum": cum("savings1"),
            "deposits cat. 2": f"=IF({jj}<=p_solidarity_saving_years,100*p_solidarity_savings_rate,0)",
            "savings2": (
                f"={r('deposits cat. 2')}+IF({jj}=p_solidarity_saving_years+1,"
                f"-100*p_solidarity_savings_rate*p_solidarity_saving_years,0)"
            ),
            "savings2_cum": cum("savings2"),
            "subsidy": (
                f'=IF({jj}=3,p_subsidy_to_savings_ratio*(SUMIF({hdr},"<="&p_borrower_saving_years,{row("savings1")})'
                f'+SUMIF({hdr},"<="&p_borrower_saving_years,{row("deposits cat. 2")})),0)'
            ),
            "subsidy_cum": cum("subsidy"),
            "financing": f"={r('savings1_cum')}+{r('savings2_cum')}+{r('subsidy_cum')}",
            "financing flow, inflated": (
                f"={r('savings cat. 1 x price')}+{r('deposits cat. 2 x price')}"
                f"+IF({jj}=p_solidarity_saving_years+1,{r('savings2')}*{rfp},0)+IF({jj}=3,{subn},0)"
            ),
            "financing_inflated": cum("financing flow, inflated"),
            "difference": f"={r('investment_cum')}-{r('financing')}",
            "difference_inflated": f"={r('investment_inflated')}-{r('financing_inflated')}",
            "loan1_repayment": (
                f"=IF(AND({jj}>=4,{jj}<=3+p_years_between),"
                f"PMT({rt},p_years_between,-{loan1})*(1+{rt})^({jj}-4-p_years_between),0)"
            ),
            "loan1_repayment_cum": cum("loan1_repayment"),
            "loan2": f"=IF({jj}=3+p_years_between,{r('investment x price')},0)",
            "loan2_repayment": (
                f"=IF(AND(p_include_loan2_repayments,{jj}>=4+p_years_between,{jj}<=3+2*p_years_between),"
                f"PMT({rt},p_years_between,-{loan2})*(1+{rt})^({jj}-4-2*p_years_between),0)"
            ),
            "loan-2 repayment, cumulative": cum("loan2_repayment"),
            "to_finance": (
                f"={r('difference_inflated')}-{r('loan1_repayment_cum')}-{r('loan-2 repayment, cumulative')}"
            ),
            "savings cat. 1 x price": f"={r('savings1')}*{r('price index f^(j-1)')}",
            "deposits cat. 2 x price": f"={r('deposits cat. 2')}*{r('price index f^(j-1)')}",
        }
        for key, formula in fs.items():
            value = helper[key][t - 1] if key in helper else tr[key].iloc[t - 1]
            book.formula(ws, R[key], t, formula, float(value), "ratio")
    ws.freeze_panes(1, 1)
    return ws, R, top


def _financing_need(book: Book, p: dict, result, tr_ws, tr_rows, gw):
    """The organisation's need by calendar year: generation g's 'a financiar' at relative year
    t - g + 1 times its origin value, summed over the running generations."""
    ws = book.sheet("Financing need")
    h = p["horizon_years"]
    need = result.tables["financing_need"]
    share = result.tables["treasury"]["to_finance"].to_numpy() / 100
    c = model.origin_value(p)
    ws.set_column(0, 0, 30)
    ws.write(0, 0, "generation \\ year", book.fmt("header"))
    ws.write_row(0, 1, list(range(0, h + 1)), book.fmt("header"))
    tf = f"'{tr_ws.get_name()}'!$B${tr_rows['to_finance'] + 1}:{cell(tr_rows['to_finance'], h, True)}"
    for g in range(1, h + 1):
        ws.write(g, 0, g)
        ws.write_number(g, 1, 0.0)
        for t in range(1, h + 1):
            L = col_letter(t + 1)
            f = f"=IF({L}$1>=$A{g + 1},INDEX({tf},1,{L}$1-$A{g + 1}+1)/100*'Generations'!$B${g + 1},0)"
            v = share[t - g] * c[g - 1] if t >= g else 0.0
            book.formula(ws, g, t + 1, f, float(v), "money")
    r_need, r_change = h + 1, h + 2
    ws.write(r_need, 0, "financing need (k$)")
    ws.write(r_change, 0, "change")
    ws.write_number(r_need, 1, 0.0)
    for t in range(1, h + 1):
        L, P = col_letter(t + 1), col_letter(t)
        book.formula(ws, r_need, t + 1, f"=SUM({L}2:{L}{h + 1})", float(need["need"].iloc[t - 1]), "money")
        book.formula(
            ws, r_change, t + 1, f"={L}{r_need + 1}-{P}{r_need + 1}", float(need["change"].iloc[t - 1]), "money"
        )
    ws.freeze_panes(1, 2)
    return ws, r_need


def _loans(book: Book, p: dict, result, inv_ws):
    """Section 4: the two loans of the test generation, with their yearly schedules (SCA)."""
    ws = book.sheet("Loans")
    h, x = p["horizon_years"], p["years_between"]
    ln = model.buyer_loans(p, model.savings_tables(p))
    m = result.metrics
    ws.set_column(0, 0, 40)
    inv_rng = f"'{inv_ws.get_name()}'!$E$2:{cell(h, 3 + h, True)}"
    units_rng = f"'{inv_ws.get_name()}'!$C$2:$C${h + 1}"

    def gen(col):
        return f"INDEX('Generations'!{cell(1, col, True)}:{cell(h, col, True)},p_test_generation)"

    top = 14  # the year table starts here
    hdr = f"$B${top + 1}:{cell(top, h, True)}"
    inv_row = f"$B${top + 2}:{cell(top + 1, h, True)}"
    items = [
        (
            "investment to the core year (land and core)",
            f'=SUMIF({hdr},"<="&(p_test_generation+2),{inv_row})',
            ln["investment_cum"],
        ),
        ("borrowers' savings transferred", f"={gen(12)}", ln["borrower_savings"]),
        ("subsidy on the borrowers' savings", f"=p_subsidy_to_savings_ratio*{gen(10)}", ln["subsidy_borrowers"]),
        ("subsidy on the solidarity savings", f"=p_subsidy_to_savings_ratio*{gen(11)}", ln["subsidy_solidarity"]),
        ("loan 1 (k$)", "=MAX(B2-B3-B4-B5,0)", m["loan1"]),
        (
            "loan 2: the inflated materials (k$)",
            f"=SUMIF({hdr},p_test_generation+2+p_years_between,{inv_row})",
            m["loan2"],
        ),
        ("rate (índice 4)", "=p_inflation+p_loan_spread", ln["rate"]),
        ("term (years)", "=p_years_between", x),
        ("loan-1 yearly payment (k$)", "=PMT(B8,B9,-B6)", m["loan1_payment"]),
        ("loan-2 yearly payment (k$)", "=PMT(B8,B9,-B7)", m["loan2_payment"]),
        ("units of the generation", f"=INDEX({units_rng},p_test_generation)", ln["units"]),
        ("monthly loan-1 instalment per family (USD)", "=B10/B12*1000/12", m["monthly_payment_usd"]),
    ]
    ws.write_row(0, 0, ["section 4: test generation", "value"], book.fmt("header"))
    for i, (label, formula, value) in enumerate(items, start=1):
        ws.write(i, 0, label)
        book.formula(ws, i, 1, formula, float(value), "money")
    ws.write(top, 0, "year", book.fmt("header"))
    ws.write_row(top, 1, list(range(1, h + 1)), book.fmt("header"))
    sched = {1: ln["schedule1"], 2: ln["schedule2"]}
    labels = ["investment of the test generation", "investment, cumulative"]
    for k in (1, 2):
        labels += [f"loan {k}: {w}" for w in ("opening balance", "interest", "repayment", "closing balance (SCA)")]
    for r, label in enumerate(labels, start=top + 1):
        ws.write(r, 0, label)
    for t in range(1, h + 1):
        L = col_letter(t)
        yr = f"{L}${top + 1}"
        book.formula(
            ws, top + 1, t, f"=INDEX({inv_rng},p_test_generation,{yr})", float(ln["investment"][t - 1]), "money"
        )
        book.formula(ws, top + 2, t, f"=SUM($B{top + 2}:{L}{top + 2})", float(ln["investment"][:t].sum()), "money")
        for k, pay in ((1, "$B$10"), (2, "$B$11")):
            first = "(p_test_generation+2)" if k == 1 else "(p_test_generation+2+p_years_between)"
            base = top + 3 + 4 * (k - 1)
            on = f"AND({yr}>={first},{yr}<{first}+p_years_between)"
            n_left = f"(p_years_between-({yr}-{first}))"
            s = sched[k].iloc[t - 1]
            book.formula(ws, base, t, f"=IF({on},{pay}*(1-(1+$B$8)^-{n_left})/$B$8,0)", float(s["opening"]), "money")
            book.formula(ws, base + 1, t, f"=IF({on},{pay}-{L}{base + 3},0)", float(s["interest"]), "money")
            book.formula(ws, base + 2, t, f"={L}{base + 1}-{L}{base + 4}", float(s["repayment"]), "money")
            book.formula(
                ws, base + 3, t, f"=IF({on},{pay}*(1-(1+$B$8)^-({n_left}-1))/$B$8,0)", float(s["closing"]), "money"
            )
    ws.freeze_panes(top + 1, 1)
    return ws


def _effort(book: Book, p: dict, result, loans_ws):
    """The effort table: one column per income."""
    ws = book.sheet("Effort")
    eff = result.tables["effort"]
    ws.set_column(0, 0, 40)
    labels = ["monthly income (USD)", "monthly loan-1 instalment (USD)", "effort rate", "left to live (USD)"]
    for r, label in enumerate(labels):
        ws.write(r, 0, label, book.fmt("header") if r == 0 else None)
    monthly = book.ref(loans_ws, 12, 1)
    for i in range(len(p["incomes"])):
        c = i + 1
        L = col_letter(c)
        e = eff.iloc[i]
        book.formula(ws, 0, c, f"={book.name('incomes', i)}", float(e["income"]), "money")
        book.formula(ws, 1, c, f"={monthly}", float(e["monthly_payment"]), "money")
        book.formula(ws, 2, c, f"={L}2/{L}1", float(e["effort_rate"]), "percent")
        book.formula(ws, 3, c, f"={L}1-{L}2", float(e["left_to_live"]), "money")
    # the reference family (the criterion), whether or not its income is one of the above
    c = len(p["incomes"]) + 2
    L = col_letter(c)
    monthly_usd = float(result.metrics["monthly_payment_usd"])
    ws.write(0, c - 1, "reference income:", book.fmt("header"))
    book.formula(ws, 0, c, f"={book.name('reference_income')}", float(p["reference_income"]), "money")
    book.formula(ws, 1, c, f"={monthly}", monthly_usd, "money")
    book.formula(ws, 2, c, f"={L}2/{L}1", float(result.metrics["effort_rate.reference"]), "percent")
    book.formula(ws, 3, c, f"={L}1-{L}2", float(p["reference_income"]) - monthly_usd, "money")
    return ws


def _intro(book: Book, p: dict, result):
    """Section 1.6: monthly instalment on the financed share of the amount, rate x term."""
    ws = book.sheet("Intro payments")
    ip = result.tables["intro_payments"]
    ws.write(0, 0, "rate \\ years", book.fmt("header"))
    for j in range(len(p["intro_years"])):
        book.formula(ws, 0, j + 1, f"={book.name('intro_years', j)}", p["intro_years"][j])
    k = 0
    for i in range(len(p["intro_rates"])):
        book.formula(ws, i + 1, 0, f"={book.name('intro_rates', i)}", p["intro_rates"][i], "percent")
        for j in range(len(p["intro_years"])):
            L = col_letter(j + 1)
            f = f"=PMT($A{i + 2}/12,12*{L}$1,-p_intro_principal*p_intro_financed_share)"
            book.formula(ws, i + 1, j + 1, f, float(ip["monthly_payment"].iloc[k]), "money")
            k += 1
    return ws


def calculation(book: Book, p: dict, result) -> None:
    """Every calculation sheet, then the outputs."""
    h = p["horizon_years"]
    _macro(book, p, result)
    inv_ws = _investment(book, p, result)
    sv, gw, cell_rows = _savings(book, p, result, inv_ws)
    tabs = _year_tables(book, p, result, sv, cell_rows)
    tr_ws, tr_rows, tr_top = _treasury(book, p, result)
    need_ws, r_need = _financing_need(book, p, result, tr_ws, tr_rows, gw)
    loans_ws = _loans(book, p, result, inv_ws)
    eff_ws = _effort(book, p, result, loans_ws)
    _intro(book, p, result)

    m = result.metrics
    pub = book.published
    lref = lambda r: book.ref(loans_ws, r, 1)  # noqa: E731
    ref = model.number_key(p["reference_income"])
    book.output(
        "effort_rate.reference",
        f"effort rate of the family earning the reference income, {ref} USD a month (loan-1 instalment / income)",
        "share of income",
        f"={book.ref(eff_ws, 2, len(p['incomes']) + 2)}",
        m["effort_rate.reference"],
        pub("gret", "effort", "effort_rate", ref, scale=0.01),
    )
    book.output(
        "monthly_payment_usd",
        "monthly loan-1 instalment per family",
        "USD a month",
        f"={lref(12)}",
        m["monthly_payment_usd"],
        pub("gret", "effort", "payment", "usd_month"),
    )
    book.output(
        "loan1",
        "loan 1 of the test generation",
        "k$",
        f"={lref(5)}",
        m["loan1"],
        pub("gret", "loans", "amount", "loan1"),
    )
    book.output(
        "loan2",
        "loan 2 of the test generation",
        "k$",
        f"={lref(6)}",
        m["loan2"],
        pub("gret", "loans", "amount", "loan2"),
    )
    book.output(
        "loan1_payment",
        "loan-1 yearly payment",
        "k$ a year",
        f"={lref(9)}",
        m["loan1_payment"],
        pub("gret", "loans", "payment", "loan1"),
    )
    book.output(
        "loan2_payment",
        "loan-2 yearly payment",
        "k$ a year",
        f"={lref(10)}",
        m["loan2_payment"],
        pub("gret", "loans", "payment", "loan2"),
    )
    for i, inc in enumerate(p["incomes"]):
        key = model.number_key(inc)
        book.output(
            f"effort_rate.{key}",
            f"effort rate at {key} USD a month",
            "share of income",
            f"={book.ref(eff_ws, 2, i + 1)}",
            m[f"effort_rate.{key}"],
            pub("gret", "effort", "effort_rate", key, scale=0.01),
        )
    for i, inc in enumerate(p["incomes"]):
        key = model.number_key(inc)
        book.output(
            f"left_to_live.{key}",
            f"left to live at {key} USD a month",
            "USD a month",
            f"={book.ref(eff_ws, 3, i + 1)}",
            m[f"left_to_live.{key}"],
            pub("gret", "effort", "left_to_live", key),
        )
    trn = f"'{tr_ws.get_name()}'"
    book.output(
        "treasury_loan1_pct",
        "loan 1 in table 3.3's 'recordar' line",
        "% of origin value",
        f"={book.ref(tr_ws, tr_top + 4, 1)}",
        m["treasury_loan1_pct"],
        pub("gret", "treasury", "recordar", "loan1"),
    )
    r = tr_rows["to_finance"] + 1
    book.output(
        "treasury_peak_to_finance_pct",
        "peak 'a financiar' of one generation (3.3)",
        "% of origin value",
        f"=MAX({trn}!$B${r}:{cell(r - 1, h, True)})",
        m["treasury_peak_to_finance_pct"],
    )
    book.output(
        "peak_financing_need",
        "peak financing need of the organisation, all running generations",
        "k$",
        f"=MAX('{need_ws.get_name()}'!{cell(r_need, 2, True)}:{cell(r_need, h + 1, True)})",
        m["peak_financing_need"],
    )
    bal = tabs["Balance"]
    book.output(
        "subsidy_total",
        "subsidies over the horizon (3.2)",
        "k$",
        f"=SUM('{bal.get_name()}'!$B$8:{cell(7, h, True)})",
        m["subsidy_total"],
    )
