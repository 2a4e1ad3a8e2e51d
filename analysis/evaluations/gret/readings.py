"""What the ACT-GRET text says but its sheet does not do, one change at a time
(scenario ``corrected`` applies them all)."""
from ...contract import Reading

READINGS = (
    Reading("compound_savings", "Capitalised savings, no display rounding",
            {"savings_interest": "compound", "display_rounded_generations": 0}, "2.2.1", "correction"),
    Reading("generation2_rate", "Generation 2 earns inflation + 1 %", {"generation2_spread_interest": False},
            "2.2.6", "correction"),
    Reading("no_display_rounding", "No display rounding of generations 1-2", {"display_rounded_generations": 0},
            "sheet, generations 1-2", "correction"),
    Reading("refund_topup", "Refund generation 1's topped-up year", {"refund_topup_year": True}, "2.2.3", "correction"),
    Reading("refund_price", "Treasury (3.3): refund priced at its own year", {"treasury_refund_price": "refund_year"},
            "3.3", "correction"),
    Reading("subsidy_inflated", "Treasury (3.3): subsidy on the inflated savings",
            {"treasury_subsidy": "inflated_savings"}, "3.3, 'recordar' line", "correction"),
    Reading("loan_rate_nominal", "Treasury (3.3): loan 1 repaid at inflation + z", {"treasury_loan_rate": "nominal"},
            "3.3", "correction"),
    Reading("loan2_repayments", "Treasury (3.3): deduct loan-2 repayments", {"include_loan2_repayments": True},
            "3.3 note (1), section 5", "correction"),
)
