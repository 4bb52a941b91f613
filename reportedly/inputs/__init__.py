"""Reading the evidence: the claim contract and source registry, the model file, quotes and their figures, a case
folder, and draft claims proposed from an article. Imports only the foundation."""
