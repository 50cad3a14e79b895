"""Loading: the runner's settings, law files and Python law modules, and the plugin manager."""
