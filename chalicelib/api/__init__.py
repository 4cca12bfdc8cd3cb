"""HTTP and WebSocket entrypoints: parse input, call a service, shape the output."""
