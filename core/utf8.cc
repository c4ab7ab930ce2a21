// Placeholder: implemented under its issue.
