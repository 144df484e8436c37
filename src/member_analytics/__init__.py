"""Tooling for the member_analytics dbt project: sample data, runners, checks."""

__version__ = "0.1.0"
