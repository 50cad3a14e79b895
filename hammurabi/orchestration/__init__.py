"""Orchestration: one repository (``repository``, ``branch``) and many (``fleet``)."""
