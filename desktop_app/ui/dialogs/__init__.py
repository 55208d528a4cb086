"""The application's dialogs and windows."""
