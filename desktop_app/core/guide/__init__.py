"""What developers are told: the CA guide, the snippets they paste, and the LAN setup page."""
