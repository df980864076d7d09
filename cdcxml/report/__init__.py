"""Renderers: text for people, JSON for CI, SVRL for other Schematron tools."""
