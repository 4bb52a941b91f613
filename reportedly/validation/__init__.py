"""Validation: refits of a case on simulated or left-out claims (calibration from the prior and under misspecified
truths, leave one out, rolling origin, sensitivity), their sweeps in one process or on Dask, figures and report.
Imports only the layers below."""
