"""Workflows: estimate, check, explain, extract and the HTML page, each composing the layers below."""
