"""Metrics: every rule run and every repository's health, recorded in QuestDB.

Modules, one job each (nothing here is imported eagerly, so ``hammurabi --help`` stays light):

- ``schema``: the three tables (``hammurabi_rule_runs``, ``hammurabi_repo_health``,
  ``hammurabi_runs``) as data, and their DDL.
- ``health``: the health score of a repository run.
- ``rows``: run records into rows, and client-side validation.
- ``config``: the effective configuration and the package's errors.
- ``spool``: the durable local queue and its exactly-once replay.
- ``questdb``: the only module that talks to QuestDB.
- ``report``: the fleet's health read back (``hammurabi.cli.health_page`` renders it).
- ``plugin``: the built-in ``metrics`` plugin (spool and send as each run ends).
"""
