"""The Plan stage: ranking tactics into an action plan, the service level agreement, scenarios."""
