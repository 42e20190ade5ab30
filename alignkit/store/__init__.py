"""The workspace: companies, waves, answers, plans, KPIs, funnel and settings (persistence
only).
"""
