"""The GraphQL schema: assembly and root operations (schema.py), the object types and the
per-request context and loaders (types.py), one resolver module per area (resolvers/), limits on
an operation's shape (limits.py) and how errors are answered (errors.py)."""
