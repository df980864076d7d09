"""The test suite: tests/conftest.py shares fixtures, *_support modules share helpers."""
