"""Reproducible economic analyses of social-housing finance in Latin America.

Layers, each importing only those before it: ``analysis.core`` (the numerical library),
``analysis.evaluations`` (the models and the registry), ``analysis.publish`` (pages, workbooks,
build, PDF), ``analysis.release`` (releases and the site), then ``analysis.cli``.
"""

__version__ = "0.2.0"
