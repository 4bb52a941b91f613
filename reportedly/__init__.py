"""reportedly: Bayesian evidence synthesis of conflicting reported figures."""

__version__ = "0.1.0"
