"""0.11's module path: ``from hammurabi.reporters.base import Reporter`` (and its report models)."""

from hammurabi.compat.reporting import AdditionalData, LawItem, Report, Reporter, RuleItem

__all__ = ["AdditionalData", "LawItem", "Report", "Reporter", "RuleItem"]
