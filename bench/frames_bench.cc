// Placeholder: the frames harness is written under its issue.
