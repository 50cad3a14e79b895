"""The command line and everything that prints: commands, tables, diffs, progress, pages."""
