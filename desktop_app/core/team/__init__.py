"""The team: settings, the credential secret, derived passwords, the live directory, diagnostics."""
