"""Metrics: every rule run and every repository's health, recorded in QuestDB.

``schema``: the tables as data (DDL, dedup keys, validation); ``rows``: a run's rows and its
health score; ``config``: the configuration, checked once; ``spool``: the durable queue and its
exactly-once replay; ``questdb``: the only module that talks to QuestDB; ``report`` and
``campaign``: read back; ``plugin``: the ``metrics`` plugin. Nothing is imported eagerly.
"""
