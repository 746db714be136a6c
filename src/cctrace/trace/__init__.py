"""Tracing a consenting patient: sightings by face, route, contacts, risk policies."""
