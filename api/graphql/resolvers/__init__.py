"""Resolvers per area: discovery, insights, introductions, meetings, nudges."""
