"""The voice line's content: recordings tied to the reviewed text they were made from, the
voice-only phrases a call needs, and a turn's messages as spoken prompts (no Twilio, no web)."""
