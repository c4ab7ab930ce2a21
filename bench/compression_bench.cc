// Placeholder: the compression harness is written under its issue.
