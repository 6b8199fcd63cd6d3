"""An adapter process: the gRPC AdapterService over a codec, and its side of the bus."""
