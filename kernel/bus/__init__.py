"""The JetStream bus: subject and stream layout (pure) and its NATS I/O."""
