"""Pure analysis: anonymity and disclosure, scoring, perception gaps and their uncertainty,
the funnel, disconnects and the metrics layer.
"""
