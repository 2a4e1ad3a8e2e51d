"""Reproducible economic analyses of social-housing finance in Latin America.

``analysis.finance``: financial primitives; ``analysis.params``: parameter files;
one module per evaluation (``elsalvador``, ...); ``analysis.evaluations``: the registry.
"""

__version__ = "0.2.0"
