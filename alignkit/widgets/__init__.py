"""Interactive widgets: the workshop survey form and the scenario explorer."""
