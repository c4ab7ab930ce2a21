// Placeholder: the messages harness is written under its issue.
