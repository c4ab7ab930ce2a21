// Placeholder: the broadcast harness is written under its issue.
