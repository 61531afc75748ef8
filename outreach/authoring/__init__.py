"""What NGO content editors run, all behind the CLI: ``outreach check`` and its SMS
costs, conversation tests, the terminal chat, the JSON Schema and ``outreach init``."""
