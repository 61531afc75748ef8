"""How residents reach the engine: Twilio SMS and WhatsApp, and the web simulator."""
