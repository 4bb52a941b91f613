"""The model: what a printed figure asserts, the interval likelihood, the claims as arrays, the two fused operations
and the PyMC builder, and claims simulated from the model. Imports only the layers below."""
