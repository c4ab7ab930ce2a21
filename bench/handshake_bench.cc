// Placeholder: the handshake harness is written under its issue.
