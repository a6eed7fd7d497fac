"""The administrators' configuration of the commune: identity, appointment types, opening
rules. Each module validates a form's values (French messages per field, nothing saved on
error) and saves them, audited, in the caller's transaction."""
