"""The Flask side: the app factory, the Twilio webhook, the simulator and the staff pages."""
