"""tiegraph delivery layer: the command line and the HTTP/GraphQL service."""
