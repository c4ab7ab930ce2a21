// Placeholder: the subscriptions harness is written under its issue.
