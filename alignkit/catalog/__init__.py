"""The catalog: the survey instrument, the playbook of tactics and KPIs, the stages, the
blank questionnaire, and where the bundled data, notebooks and templates are.
"""
