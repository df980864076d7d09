"""Measuring the converter: random valid instances of a schema, and soundness against a second
opinion. Tools for tests and benchmarks; the converter itself does not import them."""
