"""The gateway's read model of cross-region cases, fed from the bus and rebuildable by replay."""
