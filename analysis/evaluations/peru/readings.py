"""Readings of the Peru document other than the one that reproduces Tabla 6, each applied alone
as parameter overrides. Where two statements of the document disagree, or one statement allows two
readings, the default is the reading that reproduces Tabla 6; the last one is not from the document
at all (a numerical coincidence, shown so that nobody mistakes it for an explanation)."""

from ...core.contract import Choice, Reading

READINGS = (
    Reading(
        "rent055",
        "Imputed rent 0.55\u00a0%/month (Tabla 4) instead of 0.5\u00a0% (text)",
        {"monthly_rent_yield": 0.0055},
        "Beneficios, arrendamiento imputado vs Tabla 4",
        "alternative reading",
        ("base",),
    ),
    Reading(
        "value42582",
        "Sub1 home value 42,582 as printed (not 5,025 + 8,602 + 28,956)",
        {"sub1_house_value_rule": "stated"},
        "Otros parámetros vs Costos",
        "alternative reading",
    ),
    Reading(
        "prec_const",
        "Precarious deduction constant (no CPI growth)",
        {"precarious_growth": "none"},
        "footnote 2",
        "alternative reading",
    ),
    Reading(
        "prec_unscaled",
        "Precarious deduction not scaled by 1 - 1.7\u00a0%",
        {"precarious_used_adjust": False},
        "footnotes 1 and 2",
        "alternative reading",
    ),
    Reading(
        "prec_40const",
        "Precarious deduction: 40\u00a0%, constant, not scaled",
        {"precarious_growth": "none", "precarious_used_adjust": False},
        "footnote 2",
        "alternative reading",
    ),
    Reading("prec_none", "No precarious deduction", {"precarious_share": 0.0}, "footnote 2", "alternative reading"),
    Reading("no_used", "No used-home adjustment", {"used_home_share": 0.0}, "footnote 1", "alternative reading"),
    Reading(
        "sub2_x11",
        "Sub2 value: home x 1.1 (Z = 1.1 X)",
        {"sub2_value_rule": "house_times_factor"},
        "Beneficios (10\u00a0% of the works) vs Otros parámetros (x 1,1)",
        "alternative reading",
    ),
    Reading(
        "health_unrounded",
        "Health benefits unrounded",
        {"health_round_to_printed": False},
        "Otros parámetros",
        "alternative reading",
    ),
    Reading(
        "wage20",
        "Daily wage from footnote 5 (20 days a month)",
        {"wage_days_per_month": 20},
        "Otros parámetros (USD 9,47 a day) vs footnote 5",
        "alternative reading",
    ),
    Reading(
        "cpi40",
        "CPI 4.0\u00a0% (Tabla 4) instead of 4.03\u00a0% (text)",
        {"cpi_growth": 0.04},
        "Beneficios vs Tabla 4",
        "alternative reading",
    ),
    Reading(
        "nominal",
        "Loan rates nominal / 12 (not EA)",
        {"loan_rate_convention": "nominal"},
        "Costos vs Tabla 5",
        "alternative reading",
    ),
    Reading(
        "sub1_unrounded",
        "Sub1 instalment not rounded to cents",
        {"sub1_round_instalment": False},
        "Costos",
        "alternative reading",
    ),
    Reading(
        "year0",
        "Year 1 undiscounted (numpy-financial convention)",
        {"discount_first_period": 0},
        "VNA formula (image missing)",
        "alternative reading",
    ),
    Reading(
        "growth5865",
        "Appreciation: exact mean 5.865\u00a0% instead of 5.9\u00a0%",
        {"house_price_growth": 0.05865},
        "Beneficios, valorización (aproximadamente 5,9\u00a0%)",
        "alternative reading",
        ("conservative",),
    ),
    Reading(
        "rent04842",
        "Rent: unrounded mean 0.4842\u00a0% instead of 0.48\u00a0%",
        {"monthly_rent_yield": 0.004842},
        "Beneficios, arrendamiento imputado (0,48\u00a0%)",
        "alternative reading",
        ("conservative",),
    ),
    Reading(
        "prec50",
        "NOT FROM THE DOCUMENT: precarious 50\u00a0%, constant, not scaled",
        {"precarious_share": 0.5, "precarious_growth": "none", "precarious_used_adjust": False},
        "a numerical coincidence",
        "alternative reading",
    ),
)

# Choices of method a reviewer may contest: each alternative is computed in full, with its verdict
# (the chapter's "Readings that can change the answer"); the default is the document's method.
CHOICES = (
    Choice(
        "flow_prices",
        "Are the flows discounted nominal or real?",
        "Se asume una tasa de descuento del 12% nominal. [...] B = Beneficios anuales futuros en términos "
        "constantes; C = Costos anuales futuros en términos constantes",
        'Otros parámetros, "Tasa de descuento"; Valor Neto Actual (VNA)',
        "nominal flows at the document's nominal rate",
        "The flows grow at nominal rates (house prices at their nominal growth, the health benefits with the "
        "CPI) and only nominal flows at the document's rate reproduce Tabla 6. The IDB's norm for that rate (the El "
        "Salvador document, para. 4.3, states it without saying nominal or real) is generally read as a real rate: "
        "the alternative applies it to the flows deflated by the document's CPI.",
        (
            Reading(
                "real_flows",
                "Real flows (deflated by the CPI) at the same rate, read as real",
                {"flow_prices": "real"},
                'VNA ("en términos constantes")',
                "method",
            ),
        ),
    ),
    Choice(
        "credit_cost",
        "What does the credit cost the economy?",
        "los costos asociados al programa (en este caso, el valor de los subsidios, los aportes de los "
        "hogares, y el costo de reposición del activo inmobiliario, todo a una tasa de descuento de 12%)",
        'Indicadores; Costos, "Cuota de Amortización del crédito"',
        "the borrower's debt service (the instalments, as the document computes them)",
        "It is the document's method and reproduces Tabla 6. From the economy's point of view the "
        "instalments are a transfer between borrower and lender; the resource cost is the principal lent, "
        "which the alternative counts when it is disbursed.",
        (
            Reading(
                "resource_cost",
                "Resource cost: the principal lent, in year 1, instead of the instalments",
                {"credit_cost": "resource_cost"},
                'Indicadores ("el costo de reposición del activo inmobiliario")',
                "method",
            ),
        ),
    ),
    Choice(
        "terminal_value",
        "Does the home's value at the end of the horizon count as a benefit?",
        "al final del periodo los hogares van a ser propietarios de una vivienda que se valoriza en el "
        "tiempo y cuyo precio al inicio del período será de USD$42.582",
        'Beneficios, "Realización del activo inmobiliario"',
        "the home's year-20 value counted (its year-1 value and its valuation) in the last year",
        "The document counts it and Tabla 6 needs it. It is also where Subcomponent 1's benefit lies: "
        "without it the subcomponent's NPV is negative, so the alternative shows the result without it.",
        (
            Reading(
                "no_terminal_value",
                "Without the home's value at the end of the horizon",
                {"terminal_value": False},
                'Beneficios, "Realización del activo inmobiliario"',
                "method",
            ),
        ),
    ),
)
