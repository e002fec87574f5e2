"""Pydantic models of the trigger.dev v2 wire protocol (both directions).

Field names follow the wire (camelCase aliases); unknown keys are ignored, as the
SDK's zod schemas do, so newer SDKs that add keys keep working.
"""
