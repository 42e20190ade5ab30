"""The Execute and Recap stages: action status, KPIs over time, the second wave, and the
engagement summary.
"""
