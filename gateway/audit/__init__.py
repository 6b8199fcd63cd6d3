"""The gateway's audit log (工作留痕): every cross-border message, receipt, status change and dead letter."""
