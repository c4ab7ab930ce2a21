// Placeholder: the permissions harness is written under its issue.
