"""jjj-exchange gateway: relay, query service, supervisor and the `jjj` command."""
