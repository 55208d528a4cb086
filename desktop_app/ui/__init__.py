"""The only Qt package: tray, dialogs, dashboard (arrives with the tray application)."""
