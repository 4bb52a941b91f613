"""Results: saved estimates and the questions they answer, the tables, influence of each claim, the files under
estimates/, and text and figures for readers. Never imports PyMC. Imports only the layers below."""
