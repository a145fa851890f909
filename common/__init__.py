"""Shared by the server and every client: the wire protocol, the resilient client, the CLI."""
