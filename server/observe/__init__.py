"""What an operator's tools read of a running server: metrics in Prometheus's text format,
and the distinction between a process that lives and one that is ready to serve."""
