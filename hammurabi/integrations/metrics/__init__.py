"""Metrics: every rule run and every repository's health, recorded in QuestDB.

Modules, one job each (nothing here is imported eagerly, so ``hammurabi --help`` stays light):

- ``schema``: the tables (``hammurabi_rule_runs``, ``hammurabi_repo_health``,
  ``hammurabi_runs``, ``hammurabi_pull_requests``) as data, and their DDL.
- ``health``: the health score of a repository run.
- ``rows``: run records into rows, and client-side validation.
- ``config``: the effective configuration and the package's errors.
- ``spool``: the durable local queue and its exactly-once replay.
- ``questdb``: the only module that talks to QuestDB (ILP and SQL over HTTP).
- ``report``, ``campaign``: the fleet's health and its campaigns read back.
- ``plugin``: the built-in ``metrics`` plugin (spool and send as each run ends).
"""
