"""Tiny helpers for building widgets the same way everywhere."""

from PySide6.QtCore import QObject


def named[Q: QObject](obj: Q, name: str) -> Q:
    """Give `obj` the objectName that tests and screenshots find it by; return it."""
    obj.setObjectName(name)
    return obj
