// Placeholder: the connections harness is written under its issue.
