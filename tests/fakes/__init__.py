"""Fake upstream servers and test PKI used by end-to-end tests."""
