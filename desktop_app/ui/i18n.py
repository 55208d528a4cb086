"""Translations: every user-visible text goes through Qt's `tr()`/`translate()`; this loads the catalogue.

A translation is a `copilot_insight_<locale>.qm` file in `resources/translations/` (made with
`pyside6-lupdate` and `pyside6-lrelease`); adding one needs no code change.
"""

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

logger = logging.getLogger(__name__)

TRANSLATIONS_DIR = Path(__file__).resolve().parents[2] / "resources" / "translations"
CATALOGUE = "copilot_insight"


def install_translator(app: QCoreApplication, locale: QLocale | None = None,
                       folder: Path = TRANSLATIONS_DIR) -> QTranslator | None:
    """Load the catalogue for `locale` (default: the system's) into `app`; return it, or None if absent."""
    translator = QTranslator(app)
    if not translator.load(locale or QLocale(), CATALOGUE, "_", str(folder)):
        return None
    app.installTranslator(translator)
    logger.info("Loaded translation %s.", translator.filePath())
    return translator


def tr(context: str, text: str) -> str:
    """Translate `text` outside a QObject (`context` names the catalogue section, e.g. the module)."""
    return QCoreApplication.translate(context, text)
