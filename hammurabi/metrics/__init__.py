"""Metrics: every rule run and every repository's health, recorded in QuestDB.

Modules, one job each (nothing here is imported eagerly, so ``hammurabi --help`` stays light):

- ``schema``: the three tables (``hammurabi_rule_runs``, ``hammurabi_repo_health``,
  ``hammurabi_runs``) as data, and their DDL.
- ``health``: the health score of a repository run.
- ``rows``: run records into rows, and client-side validation.
- ``config``: the effective configuration and the package's errors.
- ``spool``: the durable local queue and its exactly-once replay.
- ``questdb``: the only module that imports the ``questdb`` client (ILP over HTTP).
- ``read``: httpx against ``/exec``: safe quoting, tables, the health report.
- ``html``: the self-contained HTML report.
- ``plugin``: the built-in ``metrics`` plugin (``hammurabi_run_finished``).
- ``cli``: ``hammurabi metrics init|flush|status`` and ``hammurabi health``.
"""
