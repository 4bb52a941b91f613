"""Fitting: nutpie and PyTensor as this package uses them (one adapter), the compile cache, sampling, and the
diagnostics gate. Imports only the layers below."""
